"""Rows shaped like the ones valspec.suite attaches, for report tests."""

from __future__ import annotations

from typing import Any

import pytest

from valspec.domain.values import CIRCLE_ORDER

IDENTITY = {
    "prompt": "neutral-v1-abcdef12",
    "dataset": "sha256:" + "0" * 64,
    "frames": {"frames": 4, "longest_side": 512},
    "sampling": {"temperature": 0.0, "max_tokens": 256},
    "model": {"spec": "sim", "adapter": "sim", "variant": "reference"},
}


def value_row(value: str, score: float, baseline: float | None, **extra: Any) -> dict[str, Any]:
    """A value row as the suite records it."""
    return {
        "kind": "value",
        "case": value,
        "baseline": baseline,
        "delta": None if baseline is None else round(score - baseline, 1),
        "status": "pass",
        "model": "sim:reference — SIMULATED model",
        "score": score,
        "ci": [max(0.0, score - 20), min(100.0, score + 15)],
        "n": 10,
        "unparsable": 0.0,
        "errors": 0.0,
        "refusals": 0.0,
        "mean_p_yes": None,
        "status_detail": "",
        "identity": IDENTITY,
        **extra,
    }


def persona_row(persona: str, strategy: str, shift: float) -> dict[str, Any]:
    """A persona row as the suite records it."""
    return {
        "kind": "persona",
        "case": f"{persona}-{strategy}",
        "baseline": shift,
        "delta": 0.0,
        "status": "pass",
        "model": "sim:reference — SIMULATED model",
        "shift": shift,
        "ci": [shift - 10, shift + 10],
        "target_delta": shift / 2,
        "n": 98,
        "deltas": {"benevolence": 12.0, "power": -4.0},
        "persona": persona,
        "strategy": strategy,
        "raises": ["benevolence"],
        "unparsable": 0.0,
        "errors": 0.0,
        "identity": IDENTITY | {"prompt": "neutral-v1-abcdef12+simple-v1-12345678"},
    }


@pytest.fixture
def make_value_row() -> Any:
    """The value-row builder, for tests that vary the scores."""
    return value_row


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    """A whole run's rows: ten values (shuffled order) and two persona cases."""
    values = [value_row(v.value, 40.0 + 5 * i, 42.0 + 5 * i) for i, v in enumerate(CIRCLE_ORDER)]
    return [
        *reversed(values),
        persona_row("family-oriented", "simple", 28.1),
        persona_row("family-oriented", "isq", 39.6),
    ]
