"""The pytest plugin: options, the session's run, parametrization, baselines and the summary.

Registered through the ``pytest11`` entry point, so installing valspec makes ``--model``
available in any repository. Plugin state lives in ``config.stash``, never in module globals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from valspec.adapters.registry import probe_spec
from valspec.domain.errors import ValspecError
from valspec.domain.exit_codes import ExitCode
from valspec.domain.prompts import STRATEGIES, prompt_versions
from valspec.engine.batch import BatchPending
from valspec.measure.budget import Budget
from valspec.plugin_options import add_options, run_options
from valspec.plugin_summary import SummaryReporter
from valspec.reports.writer import ReportWriter
from valspec.session.against import LiveBaseline
from valspec.session.cases import Case, PersonaCase, ValueCase
from valspec.session.families import suite_budget
from valspec.session.persona_gate import PersonaGate
from valspec.session.run import Run
from valspec.session.strategy_cases import StrategyCase, persona_cases_for, strategy_cases
from valspec.session.value_gate import ValueGate
from valspec.snapshot import BaselineCheck

RUN_KEY = pytest.StashKey[Run]()
REPORTER_KEY = pytest.StashKey[SummaryReporter]()
REPORT_WRITER_KEY = pytest.StashKey[ReportWriter]()
ERROR_KEY = pytest.StashKey[str]()
SETUP_ERROR_KEY = pytest.StashKey[str]()
VALUE_PARAM = "valspec_value"
PERSONA_PARAM = "valspec_persona_case"
STRATEGY_PARAM = "valspec_strategy"
EXIT_PENDING = ExitCode.PENDING  # answers still in provider batches: the run is not judged
PENDING = "valspec pending:"


def pytest_addoption(parser: pytest.Parser) -> None:
    """valspec's command-line options (valspec/plugin_options.py)."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Validate options and create the session's run (cheap: nothing is loaded yet)."""
    from valspec.domain.config import load_settings

    try:
        run = Run(load_settings(config.rootpath), run_options(config))
    except ValspecError as exc:
        raise pytest.UsageError(f"valspec: {exc}") from None
    config.stash[RUN_KEY] = run
    if run.options.batch and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "valspec: --valspec-batch runs in one process (the provider does the work): drop -n"
        )
    controller = not hasattr(config, "workerinput")
    if getattr(config.option, "numprocesses", None) and controller and not run.options.offline:
        # The xdist controller answers nothing: it checks the endpoint up front (a connect,
        # never a model load), so an unreachable server is one message, not one per worker.
        try:
            probe_spec(run.spec)
        except ValspecError as exc:
            raise pytest.UsageError(f"valspec: {exc}") from None
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:  # progress is written past pytest's output capture
        run.suspend_output = capture.global_and_fixture_disabled
    generic = run.spec.generic_folder
    if generic is not None and not hasattr(config, "workerinput"):
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"valspec: baselines of --model={run.spec.name} go to {run.baseline_dir}, named "
                f"after its folder {generic!r}, which says nothing about the model; name it "
                f'with an alias: [tool.valspec.models.my-model] adapter = "{run.spec.adapter}", '
                f'model = "{run.spec.model}", then --model=my-model'
            ),
            stacklevel=2,
        )
    reporter = SummaryReporter(run)
    config.stash[REPORTER_KEY] = reporter
    config.pluginmanager.register(reporter, "valspec-summary")
    report_dir = config.getoption("valspec_report", None)
    if report_dir is not None:
        folder = config.invocation_params.dir / report_dir
        writer = ReportWriter(config, folder, baseline=run.baseline_dir)
        config.stash[REPORT_WRITER_KEY] = writer
        config.pluginmanager.register(writer, "valspec-report")
    opts = run.options
    partial = any(x is not None for x in (opts.personas, opts.platforms, opts.limit))
    partial = partial or tuple(opts.strategies) != STRATEGIES or opts.against is not None
    if partial and hasattr(config.option, "warn_unused_snapshots"):
        # Cases left out of this run keep their baselines: neither fail on them nor delete them.
        config.option.warn_unused_snapshots = True
        config.option.no_cleanup = True
    if getattr(config.option, "update_snapshots", False) and getattr(
        config.option, "numprocesses", None
    ):
        # A crashed xdist worker makes syrupy delete valid baselines on update: never allow it.
        config.option.no_cleanup = True


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which model and baseline folder the run uses, and the prompt versions."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return []
    prompts = ", ".join(prompt_versions().values())
    return [f"valspec: model {run.spec.name} -> baselines {run.baseline_dir}; prompts {prompts}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Turn each value, and each persona x strategy, into a parametrized case."""
    names = metafunc.fixturenames
    if not {VALUE_PARAM, PERSONA_PARAM, STRATEGY_PARAM} & set(names):
        return
    run = metafunc.config.stash[RUN_KEY]
    makers = ((VALUE_PARAM, run.value_cases), (PERSONA_PARAM, run.persona_cases))
    for name, make_cases in (*makers, (STRATEGY_PARAM, lambda: strategy_cases(run))):
        if name not in names:
            continue
        try:
            cases: list[Any] = list(make_cases())
        except ValspecError as exc:
            # Raised here it would be a collection error with a traceback; remember it and
            # stop the session cleanly once collection is done (pytest_collection_modifyitems).
            metafunc.config.stash[ERROR_KEY] = f"valspec: {exc}"
            cases = []
        metafunc.parametrize(name, cases, ids=[c.id for c in cases])


def pytest_collection_modifyitems(config: pytest.Config) -> None:
    """Turn bad input found while parametrizing into one clear usage error."""
    error = config.stash.get(ERROR_KEY, None)
    if error is not None:
        raise pytest.UsageError(error)


def _budget(config: pytest.Config, run: Run) -> Budget:
    """The run's error budget: the suite's alpha over the full suite's family sizes."""
    alpha = config.getoption("valspec_alpha")
    return suite_budget(run, float(run.settings.alpha if alpha is None else alpha))


def selection_line(run: Run, cases: list[Case]) -> str:
    """The header line: how many cases of the full suite run and how many queries they plan."""
    values = sum(isinstance(c, ValueCase) for c in cases)
    personas = sum(isinstance(c, PersonaCase) for c in cases)
    total_values, total_personas = len(run.value_cases()), len(run.persona_cases())
    scope = "all" if (values, personas) == (total_values, total_personas) else "selected"
    return (
        f"valspec: {scope} {values}/{total_values} value and {personas}/{total_personas} "
        f"persona cases -> {run.planned_count(cases):,} queries planned"
        + (f" ({run.options.samples} samples each)" if run.options.samples > 1 else "")
    )


def _selected_cases(session: pytest.Session) -> Iterator[Case]:
    seen: set[tuple[str, str]] = set()
    for item in session.items:
        params = getattr(item, "callspec", None)
        if params is None:
            continue
        for name in (VALUE_PARAM, PERSONA_PARAM, STRATEGY_PARAM):
            case = params.params.get(name)
            if isinstance(case, StrategyCase):  # a strategy case reads its persona cases
                found: list[Case] = list(persona_cases_for(session.config.stash[RUN_KEY], case))
            else:
                found = [case] if isinstance(case, ValueCase | PersonaCase) else []
            for one in found:
                if (type(one).__name__, one.id) not in seen:
                    seen.add((type(one).__name__, one.id))
                    yield one


@pytest.fixture(scope="session")
def valspec_run(request: pytest.FixtureRequest) -> Iterator[Run]:
    """The session's run, with every query the selected cases need answered once, up front."""
    run = request.config.stash[RUN_KEY]
    problem = None
    try:
        run.prepare(list(_selected_cases(request.session)))
    except KeyboardInterrupt:  # Ctrl-C: what was stored stays; close the cache and model
        run.close()
        raise
    except BatchPending as exc:
        run.close()  # nothing to score: release the cache and the model now
        pytest.skip(f"{PENDING} {exc}")
    except ValspecError as exc:
        problem = f"valspec: {exc}"
    if problem is not None:  # outside the except block: no chained traceback in the report
        run.close()
        _stop_on_setup_error(request.session, problem)
    if run.options.shard is not None:  # a shard only answers; the tests run after a merge
        _skip_shard(run)
    yield run
    writer = request.config.stash.get(REPORT_WRITER_KEY, None)
    if writer is not None:  # --valspec-report: take the answers before the model closes
        writer.collect_records(run, list(_selected_cases(request.session)))
    run.close()


def _stop_on_setup_error(session: pytest.Session, message: str) -> None:
    """The model, cache or data could not be set up: one message, and the session stops with
    exit code 4 (a fixture error would be repeated for every case). An xdist worker cannot
    ``pytest.exit`` (xdist reports an internal error): it fails its current case once, stops,
    and hands the message to the controller, which sets the exit code."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is None:
        pytest.exit(message, returncode=ExitCode.USAGE)
    workeroutput["valspec_setup_error"] = message
    session.shouldstop = message
    pytest.fail(message, pytrace=False)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: remember a worker's setup error (the session's exit code is 4)."""
    message = getattr(node, "workeroutput", {}).get("valspec_setup_error")
    if message:
        node.config.stash[SETUP_ERROR_KEY] = message


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """A setup error reported by an xdist worker makes the run a usage error (exit code 4); a
    run with answers still out ends with EXIT_PENDING (a gate never passes on them)."""
    if session.config.stash.get(SETUP_ERROR_KEY, None):
        session.exitstatus = ExitCode.USAGE
        return
    run = session.config.stash.get(RUN_KEY, None)
    summary = run.batch_summary if run is not None else None
    if summary is not None and summary.pending and session.exitstatus == 0:
        session.exitstatus = EXIT_PENDING


def _skip_shard(run: Run) -> None:
    index, count = run.options.shard or (1, 1)
    stats = run.stats
    done = f"{stats.sent} sent, {stats.cached} cached" if stats else "nothing to do"
    pytest.skip(
        f"valspec: shard {index}/{count} answered its queries ({done}); merge the shards' "
        "caches with `valspec cache merge` and run the tests with --valspec-offline"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Narrow the run to the selected cases and say so; offline, find queries without a
    cached answer before any test runs (one clear error)."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or session.config.stash.get(ERROR_KEY, None) is not None:
        return  # bad input found while parametrizing: pytest_collection_modifyitems says it
    try:
        cases = list(_selected_cases(session))
        if not cases:
            return
        run.select(cases)
        line = selection_line(run, cases)
    except ValspecError as exc:
        raise pytest.UsageError(f"valspec: {exc}") from None
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(session.config, "workerinput"):
        reporter.write_line(line)
        reporter.write_line("valspec: " + _budget(session.config, run).describe())
    if hasattr(session.config, "workerinput") or not (run.options.offline or run.options.batch):
        return  # under xdist the workers' session fixture reports it
    if run.options.batch and reporter is not None:  # batch lines are the run's header
        run.notify = reporter.write_line
    try:
        run.prepare(cases)
    except BatchPending:
        pass  # the tests report "pending"; the session ends with EXIT_PENDING
    except ValspecError as exc:
        raise pytest.UsageError(f"valspec: {exc}") from None


@pytest.fixture(scope="session")
def valspec_adapter(valspec_run: Run) -> Any:
    """The model adapter of this session."""
    return valspec_run.adapter


@pytest.fixture
def valspec_baseline(request: pytest.FixtureRequest, snapshot: Any) -> BaselineCheck | LiveBaseline:
    """This case's baseline under ``snapshots/<model>/``, compared with tolerance (or, with
    ``--valspec-against``, the other model's answers in this run)."""
    run = request.config.stash[RUN_KEY]
    settings = run.settings

    def tolerance(payload: dict[str, Any]) -> float:
        if "persona" in payload:
            return settings.persona_tolerance
        return settings.tolerance_for(str(payload.get("value")))

    if run.against_run is not None:
        return LiveBaseline(run.against_run, tolerance)
    return BaselineCheck(
        snapshot,
        run.baseline_dir,
        tolerance,
        update=bool(request.config.getoption("update_snapshots", False)),
        model=run.options.model,
    )


@pytest.fixture(scope="session")
def valspec_value_gate(request: pytest.FixtureRequest, valspec_run: Run) -> ValueGate:
    """Every value of the run compared with its baseline once, Holm-corrected as a family."""
    from valspec.measure.gate import GateOptions

    settings, get = valspec_run.settings, request.config.getoption
    try:
        alpha = get("valspec_alpha")
        options = GateOptions(
            alpha=float(settings.alpha if alpha is None else alpha),
            equivalence=bool(get("valspec_equivalence")),
            bootstrap=bool(get("valspec_bootstrap")),
            seed=valspec_run.options.seed,
            strict=bool(get("valspec_strict")),
        )
    except ValueError as exc:
        raise pytest.UsageError(f"valspec: --valspec-alpha: {exc}") from None

    def tolerance(payload: dict[str, Any]) -> float:
        return settings.tolerance_for(str(payload.get("value")))

    budget = _budget(request.config, valspec_run)
    return ValueGate(valspec_run, valspec_run.baseline_dir, tolerance, options, budget)


@pytest.fixture(scope="session")
def valspec_persona_gate(valspec_value_gate: ValueGate, valspec_run: Run) -> PersonaGate:
    """Every persona case of the run compared with its baseline once, Holm across the cases."""
    settings = valspec_run.settings
    return PersonaGate(
        valspec_run,
        valspec_run.baseline_dir,
        lambda payload: settings.persona_tolerance,
        valspec_value_gate.options,
        valspec_value_gate.budget,
    )


@pytest.fixture
def valspec_record(request: pytest.FixtureRequest) -> Any:
    """Attach a summary row to this test's report (travels back from xdist workers)."""

    def record(row: dict[str, Any]) -> None:
        request.node.user_properties.append(("valspec", row))

    return record


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    """Cases whose answers are still in provider batches read as "pending", not "skipped"."""
    if report.skipped and PENDING in str(report.longrepr):
        return "pending", "P", "PENDING"
    return None


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A line per provider batch of this run (id, size, status)."""
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    summary = run.batch_summary if run is not None else None
    if summary is None or not summary.rows:
        return
    terminalreporter.write_sep("=", "valspec batches")
    for row in summary.rows:
        provider = row.provider_id or "not submitted"
        note = f" ({row.note})" if row.note else ""
        terminalreporter.write_line(
            f"{row.id}  {provider}  {row.size:,} requests  {row.status}{note}"
        )
    if summary.pending:
        terminalreporter.write_line(
            f"{summary.pending:,} answers pending: run the same command again to collect them "
            f"(exit code {EXIT_PENDING})"
        )
