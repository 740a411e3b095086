"""The value and persona gates' decisions on given members (no run, no pytest): which cases
the family holds, at which level, and when strict mode or the minimum shift fails a case."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from scipy.stats import norm

from valspec.adapters.base import Response
from valspec.domain.config import Settings
from valspec.domain.personas import Persona
from valspec.domain.values import Value
from valspec.engine.queries import Record
from valspec.measure.budget import Budget
from valspec.measure.drift import compare_value, value_payload
from valspec.measure.gate import GateOptions
from valspec.measure.scoring import score_value
from valspec.parsing import ParsedAnswer, Verdict
from valspec.session import persona_gate as pg
from valspec.session import value_gate as vg
from valspec.session.cases import PersonaCase
from valspec.session.run import Run

IDENTITY = {"prompt": "neutral-v1-x", "dataset": "sha256:d", "frames": {"frames": 4}, "model": {}}


def _payload(value: Value, verdicts: Sequence[str]) -> dict[str, Any]:
    records = [
        Record(f"k{n}", f"i{n}", "neutral", 0, Response(text=v), ParsedAnswer(Verdict(v)))
        for n, v in enumerate(verdicts)
    ]
    return value_payload(score_value(value, records), IDENTITY)


def _value_gate(
    members: dict[Value, tuple[list[str], list[str] | None]],
    *,
    budget: Budget = Budget(),  # noqa: B008
    strict: bool = False,
    tolerance: float = 5.0,
) -> vg.ValueGate:
    gate = vg.ValueGate(
        cast(Run, SimpleNamespace()),
        Path("unused"),
        lambda _payload: tolerance,
        GateOptions(strict=strict),
        budget,
    )
    built = {}
    for value, (now, base) in members.items():
        payload = _payload(value, now)
        baseline = None if base is None else _payload(value, base)
        comparison = compare_value(payload, baseline, tolerance)
        built[value] = vg._Member(payload, baseline, comparison, "binary")
    gate.__dict__["members"] = built  # the cached property, as the run would compute it
    return gate


BASE = ["yes"] * 20 + ["no"] * 20
MOVED = ["no"] * 14 + ["yes"] * 6 + ["no"] * 20  # 14 of 20 yes flipped to no: -35 points


def test_a_moved_value_fails_and_an_unmoved_one_passes() -> None:
    gate = _value_gate({Value.POWER: (MOVED, BASE), Value.SECURITY: (BASE, BASE)})
    power, security = gate.verdict(Value.POWER), gate.verdict(Value.SECURITY)
    assert power is not None and power.status == "drift" and power.test == "mcnemar-exact"
    assert gate.failed(Value.POWER) and not gate.failed(Value.SECURITY)
    assert security is not None and security.status in ("pass", "inconclusive")


def test_new_and_stale_baselines_are_not_in_the_family() -> None:
    gate = _value_gate({Value.POWER: (MOVED, BASE), Value.HEDONISM: (BASE, None)})
    stale = _payload(Value.TRADITION, BASE) | {"identity": dict(IDENTITY, prompt="other")}
    now = _payload(Value.TRADITION, BASE)
    gate.__dict__["members"][Value.TRADITION] = vg._Member(
        now, stale, compare_value(now, stale, 5.0), "binary"
    )
    assert set(gate.verdicts) == {Value.POWER}
    assert gate.verdict(Value.HEDONISM) is None and not gate.failed(Value.HEDONISM)
    assert not gate.failed(Value.TRADITION)


def test_the_family_is_tested_at_the_value_share_over_the_full_suite_size() -> None:
    alone = _value_gate({Value.POWER: (MOVED, BASE)}).verdict(Value.POWER)
    sized = Budget(alpha=0.05, sizes=(("value", 10),))
    family = _value_gate({Value.POWER: (MOVED, BASE)}, budget=sized).verdict(Value.POWER)
    assert alone is not None and family is not None
    assert family.p_adjusted == pytest.approx(min(1.0, 10 * alone.p_value))
    assert alone.p_adjusted == pytest.approx(alone.p_value)


def test_the_value_level_is_the_budgets_share_for_values() -> None:
    # 3 of 20 flipped: exact McNemar p = 2 * 0.5^3 = 0.25, never significant at 0.025;
    # a 10-point move of 16 of 40 items: p = 2 * 0.5^16, significant at any share
    small = ["no"] * 3 + ["yes"] * 17 + ["no"] * 20
    assert _value_gate({Value.POWER: (small, BASE)}, tolerance=1.0).verdict(Value.POWER) is not None
    strong = ["no"] * 16 + ["yes"] * 4 + ["no"] * 20
    tight = Budget(alpha=2 * 0.5**16 / 0.5)  # the value share (0.5) is exactly p: not below it
    verdict = _value_gate({Value.POWER: (strong, BASE)}, budget=tight).verdict(Value.POWER)
    assert verdict is not None and verdict.p_adjusted == pytest.approx(2 * 0.5**16)
    assert verdict.status != "drift"
    loose = Budget(alpha=2.01 * 0.5**16 / 0.5)
    loose_verdict = _value_gate({Value.POWER: (strong, BASE)}, budget=loose).verdict(Value.POWER)
    assert loose_verdict is not None and loose_verdict.status == "drift"


def test_strict_mode_fails_an_inconclusive_value_and_the_default_passes_it() -> None:
    few = ["yes", "no", "yes"]
    lenient = _value_gate({Value.POWER: (few, few)})
    verdict = lenient.verdict(Value.POWER)
    assert verdict is not None and verdict.status == "inconclusive"
    assert not lenient.failed(Value.POWER)
    assert _value_gate({Value.POWER: (few, few)}, strict=True).failed(Value.POWER)
    assert _value_gate({Value.POWER: (MOVED, BASE)}, strict=True).failed(Value.POWER)


def test_the_tolerance_comes_from_the_callable() -> None:
    gate = _value_gate({Value.POWER: (MOVED, BASE)}, tolerance=50.0)
    verdict = gate.verdict(Value.POWER)
    assert verdict is not None and verdict.tolerance == 50.0 and verdict.status != "drift"


# -- the persona gate ------------------------------------------------------------------------

PERSONA = Persona(id="p", name="P", description="d", raises=(Value.BENEVOLENCE,))
CASE = PersonaCase(PERSONA, "simple")


def _persona_gate(
    shift: float,
    ci: tuple[float, float],
    *,
    budget: Budget = Budget(),  # noqa: B008
    strict: bool = False,
) -> pg.PersonaGate:
    result = SimpleNamespace(shift=shift, ci=ci)

    def persona_result(case: PersonaCase) -> SimpleNamespace:
        assert isinstance(case, PersonaCase)
        return result

    run = SimpleNamespace(persona_result=persona_result, settings=Settings(persona_min_shift=10.0))
    gate = pg.PersonaGate(
        cast(Run, run), Path("unused"), lambda _p: 5.0, GateOptions(strict=strict), budget
    )
    gate.__dict__["members"] = {}
    return gate


def test_the_shift_check_is_the_one_sided_normal_test_at_the_per_test_level() -> None:
    z = norm.ppf(0.975)
    check = _persona_gate(6.0, (6.0 - 2 * z, 6.0 + 2 * z)).shift_check(CASE)  # SE = 2 points
    assert check.se == pytest.approx(2.0) and check.minimum == 10.0
    assert check.p_value == pytest.approx(norm.cdf((6.0 - 10.0) / 2.0))
    level = Budget().per_test("persona-shift")
    assert check.level == pytest.approx(level)
    assert check.upper == pytest.approx(6.0 + norm.ppf(1 - level) * 2.0)
    assert check.failed == (check.p_value < level)


def test_the_persona_minimum_overrides_the_settings_one() -> None:
    persona = Persona(id="q", name="Q", description="d", raises=(), min_shift=3.0)
    own = PersonaCase(persona, "simple")
    gate = _persona_gate(6.0, (4.0, 8.0))
    assert gate.shift_check(own).minimum == 3.0
    assert gate.shift_check(CASE).minimum == 10.0


def test_a_shift_check_with_p_equal_to_the_level_passes() -> None:
    p = 0.004
    assert not pg.ShiftCheck(1.0, 1.0, 10.0, p, p, 2.0).failed
    assert pg.ShiftCheck(1.0, 1.0, 10.0, p, math.nextafter(p, 1.0), 2.0).failed
    assert not pg.ShiftCheck(1.0, 1.0, 10.0, math.nan, 0.5, 2.0).failed


def test_a_shift_without_an_interval_is_not_judged() -> None:
    check = _persona_gate(6.0, (math.nan, math.nan)).shift_check(CASE)
    assert math.isnan(check.se) and math.isnan(check.upper) and not check.failed


def test_z_is_the_one_sided_normal_quantile() -> None:
    assert pg._z(0.025) == pytest.approx(norm.ppf(0.975))
    assert pg._z(0.005) == pytest.approx(norm.ppf(0.995))


def _deltas(target: float) -> dict[str, Any]:
    return {
        "raises": ["benevolence"],
        "item_mode": "binary",
        "item_deltas": {
            "benevolence": {f"b{k}": target if k < 16 else 0.0 for k in range(20)},
            "power": {f"p{k}": -1.0 if k < 8 else 0.0 for k in range(20)},
        },
    }


def test_the_persona_family_holds_the_gated_cases_with_item_changes() -> None:
    from valspec.measure.drift import Comparison

    gate = _persona_gate(20.0, (10.0, 30.0))
    base = _deltas(1.0)
    gate.__dict__["members"] = {
        "p-simple": pg._Member(_deltas(0.0), base, Comparison("pass", "p/simple")),
        "q-simple": pg._Member(base, base, Comparison("partial", "q/simple")),
        "r-simple": pg._Member(base, base, Comparison("stale", "r/simple")),
        "s-simple": pg._Member(base, None, Comparison("new", "s/simple")),
        "t-simple": pg._Member({"raises": []}, base, Comparison("pass", "t/simple")),
    }
    assert set(gate.verdicts) == {"p-simple", "q-simple"}
    moved = gate.verdicts["p-simple"]
    assert moved.status == "drift" and moved.test == "paired-t"
    # the shift fell from mean(16/20 * 1) - mean(-8/20) = 0.8 + 0.4 to 0 + 0.4: -80 points
    assert moved.delta == pytest.approx(-80.0)
    assert gate.failed(CASE)
    assert not gate.failed(PersonaCase(Persona(id="s", name="S", description="d", raises=()), "x"))


def test_strict_mode_fails_an_inconclusive_persona_case() -> None:
    from valspec.measure.drift import Comparison

    few = {"raises": ["benevolence"], "item_mode": "binary",
           "item_deltas": {"benevolence": {"b": 1.0, "c": 0.0}, "power": {"p": 0.0}}}  # fmt: skip
    for strict in (False, True):
        gate = _persona_gate(20.0, (10.0, 30.0), strict=strict)
        gate.__dict__["members"] = {"p-simple": pg._Member(few, few, Comparison("pass", "p"))}
        verdict = gate.verdict(CASE)
        assert verdict is not None and verdict.status == "inconclusive"
        assert gate.failed(CASE) is strict


def test_the_shift_check_floors_a_tiny_standard_error_at_one_point() -> None:
    check = _persona_gate(9.0, (8.9, 9.1)).shift_check(CASE)  # SE about 0.05 points
    assert check.shift == 9.0 and check.se == pytest.approx(0.2 / (2 * norm.ppf(0.975)))
    assert check.p_value == pytest.approx(norm.cdf((9.0 - 10.0) / 1.0))
