"""Answer-quality checks of one case: too many unparsable answers, too many failed queries.

Unparsable answers are the model's behaviour, so their rate fails a case only when a
one-sided exact binomial test at the quality family's per-test ``level`` shows it above its
maximum. Failed queries are missing data, not an estimate (they are asked again on the next
run), so a share of them above ``max_error_rate`` fails the case as incomplete.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from valspec.domain.config import Settings
from valspec.measure.scoring import Tally
from valspec.measure.stats import rate_above_p

ERRORS_SHOWN = 5
"""Failed items named under an incomplete case (sorted by id)."""


def answer_problems(
    name: str,
    tally: Tally,
    settings: Settings,
    level: float,
    errors: Mapping[str, str] | None = None,
) -> list[str]:
    """The case's answer-quality failures, one line each (empty when there is none)."""
    problems = []
    if tally.decided == 0:
        problems.append(f"{name}: no answer said yes or no ({tally.total} queries)")
    count = tally.unparsable
    p = rate_above_p(count, tally.total, settings.max_unparsable_rate)
    if not math.isnan(p) and p < level:
        problems.append(
            f"{name}: {100 * tally.rate('unparsable'):.1f} % of answers were unparsable ({count} "
            f"of {tally.total}), above the {100 * settings.max_unparsable_rate:g} % maximum "
            f"(one-sided exact binomial p {p:.2g} < {level:.2g})"
        )
    error_rate = tally.rate("error")
    if error_rate > settings.max_error_rate:
        problems.append(
            f"{name}: {100 * error_rate:.1f} % of queries failed (threshold "
            f"{100 * settings.max_error_rate:g} %); the case is incomplete, and the next run "
            "asks them again"
        )
        for item_id, reason in sorted((errors or {}).items())[:ERRORS_SHOWN]:
            problems.append(f"  {item_id}: {reason}")
    return problems
