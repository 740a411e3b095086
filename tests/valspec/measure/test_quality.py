"""Answer-quality checks: the unparsable-rate test and the failed-query share, at their edges."""

from __future__ import annotations

import math

from scipy.stats import binomtest

from valspec.domain.config import Settings
from valspec.measure.quality import answer_problems
from valspec.measure.scoring import Tally
from valspec.measure.stats import rate_above_p

SETTINGS = Settings(max_unparsable_rate=0.05, max_error_rate=0.05)


def test_a_clean_case_has_no_problem() -> None:
    assert answer_problems("power", Tally(yes=10, no=10), SETTINGS, 0.05) == []


def test_a_case_without_a_decided_answer_is_a_problem() -> None:
    (problem,) = answer_problems("power", Tally(refusal=3), SETTINGS, 0.05)
    assert problem == "power: no answer said yes or no (3 queries)"


def test_many_unparsable_answers_fail_and_few_do_not() -> None:
    many = answer_problems("power", Tally(yes=10, unparsable=10), SETTINGS, 0.05)
    assert len(many) == 1 and "50.0 % of answers were unparsable (10 of 20)" in many[0]
    # 1 of 20 is 5 %: exactly the maximum, never significantly above it
    assert answer_problems("power", Tally(yes=19, unparsable=1), SETTINGS, 0.05) == []


def test_the_unparsable_p_value_is_the_exact_one_sided_binomial_test() -> None:
    for count, n, maximum in ((3, 10, 0.05), (7, 40, 0.1), (1, 1, 0.5), (12, 50, 0.2)):
        expected = binomtest(count, n, maximum, alternative="greater").pvalue
        assert math.isclose(rate_above_p(count, n, maximum), expected, rel_tol=1e-9)
    assert rate_above_p(0, 10, 0.05) == 1.0
    assert math.isnan(rate_above_p(0, 0, 0.05))


def test_the_unparsable_rate_fails_only_when_p_is_strictly_below_the_level() -> None:
    tally = Tally(yes=17, unparsable=3)
    p = rate_above_p(3, 20, 0.05)
    assert 0.0 < p < 0.1
    assert answer_problems("v", tally, SETTINGS, p) == []  # p == level: not below it
    assert len(answer_problems("v", tally, SETTINGS, math.nextafter(p, 1.0))) == 1


def test_the_unparsable_maximum_is_the_settings_one() -> None:
    tally = Tally(yes=17, unparsable=3)  # 15 %
    assert answer_problems("v", tally, Settings(max_unparsable_rate=0.01), 0.05)
    assert not answer_problems("v", tally, Settings(max_unparsable_rate=0.2), 0.05)


def test_failed_queries_fail_the_case_only_above_the_maximum_share() -> None:
    at_max = Tally(yes=19, error=1)  # 1/20 = 5 % exactly
    assert at_max.rate("error") == SETTINGS.max_error_rate
    assert answer_problems("v", at_max, SETTINGS, 0.05) == []
    above = answer_problems("v", Tally(yes=18, error=2), SETTINGS, 0.05, {"b": "boom"})
    assert above[0].startswith("v: 10.0 % of queries failed (threshold 5 %)")
    assert above[1:] == ["  b: boom"]


def test_an_incomplete_case_names_its_first_failed_items_in_order() -> None:
    errors = {f"i{k}": f"timeout {k}" for k in (7, 3, 9, 1, 5, 2, 8)}
    lines = answer_problems("v", Tally(yes=1, error=7), SETTINGS, 0.05, errors)
    assert lines[1:] == [f"  i{k}: timeout {k}" for k in (1, 2, 3, 5, 7)]
