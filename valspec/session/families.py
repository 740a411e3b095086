"""The run's families of tests and their sizes in the full suite (what the budget splits).

Sizes count what the *full* suite would judge, whatever ``-k``, ``--valspec-personas`` or
``--valspec-strategies`` select: every persona in the persona folder under every default
strategy (plus any opt-in strategy selected), every value with items, every strategy. A
partial run therefore tests each selected case at the level the full run would use.
"""

from __future__ import annotations

from valspec.domain.prompts import STRATEGIES
from valspec.measure.budget import Budget
from valspec.session.run import Run


def full_strategies(run: Run) -> tuple[str, ...]:
    """The default strategies plus any opt-in strategy this run selects, in order."""
    extra = tuple(s for s in run.options.strategies if s not in STRATEGIES)
    return STRATEGIES + extra


def suite_budget(run: Run, alpha: float) -> Budget:
    """The suite's alpha with each family's full-suite size for this run's dataset and personas."""
    values = len(run.values)
    personas = len(run.all_personas) * len(full_strategies(run))
    strategies = len(full_strategies(run)) if run.all_personas else 0
    return Budget(
        alpha,
        (
            ("value", values),
            ("persona", personas),
            ("persona-shift", personas),
            ("circumplex", strategies),
            ("quality", values + personas),
        ),
    )
