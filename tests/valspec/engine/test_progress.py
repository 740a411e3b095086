"""The progress display: terminal redraws, CI log lines every 30 s, quiet, rate/ETA/errors."""

from __future__ import annotations

import io

from valspec.engine.progress import LOG_INTERVAL_S, ProgressBar, mode, wanted


class Clock:
    """A hand-driven clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tty() -> io.StringIO:
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    return stream


def test_mode_follows_the_terminal_and_the_environment() -> None:
    assert mode(env="", stream=_tty()) == "tty"
    assert mode(env="", stream=io.StringIO()) == "log"
    assert mode(env="1", stream=io.StringIO()) == "tty"
    assert mode(env="0", stream=_tty()) == "off"
    assert wanted(101, env="", stream=_tty()) and not wanted(10_000, env="0", stream=_tty())
    assert not wanted(100, env="", stream=_tty())  # a handful of queries: no display


def test_small_work_is_shown_only_when_asked() -> None:
    out = _tty()
    ProgressBar("x", stream=out, env="")(10, 10)
    assert out.getvalue() == ""
    ProgressBar("x", stream=out, env="1")(10, 10)
    assert "10/10" in out.getvalue()


def test_a_terminal_shows_done_total_rate_eta_errors_and_cache_hits() -> None:
    out, clock = _tty(), Clock()
    bar = ProgressBar("valspec qwen-vl", stream=out, cached=800, env="", clock=clock)
    clock.now = 10.0
    bar(250, 1000, 3)
    text = out.getvalue()
    assert text.startswith("\n")  # a line of its own
    assert "valspec qwen-vl: 250/1,000 queries (25 %)" in text
    assert "25.0/s" in text and "ETA 0:30" in text and "errors 3" in text and "cached 800" in text
    clock.now = 40.0
    bar(1000, 1000, 3)
    bar.close()
    assert out.getvalue().endswith("\n") and "took 0:40" in out.getvalue()


def test_a_terminal_redraws_at_most_five_times_a_second() -> None:
    out, clock = _tty(), Clock()
    bar = ProgressBar("x", stream=out, env="", clock=clock)
    for done in range(1, 100):
        bar(done, 1000)  # no time passes: only the first draw
    assert bar.lines == 1


def test_a_log_gets_a_line_at_most_every_30_seconds_and_short_runs_none() -> None:
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar("valspec", stream=out, env="", clock=clock)
    for second in range(0, 95):
        clock.now = float(second)
        bar(second * 10, 10_000, 0)
    lines = out.getvalue().splitlines()
    assert len(lines) == int(94 // LOG_INTERVAL_S)  # at 30, 60 and 90 s
    assert all("\r" not in line for line in lines)
    bar.close()
    assert len(out.getvalue().splitlines()) == len(lines) + 1  # the final state
    short = io.StringIO()
    quick = ProgressBar("valspec", stream=short, env="", clock=Clock())
    quick(10_000, 10_000)
    quick.close()
    assert short.getvalue() == ""


def test_quiet_writes_nothing() -> None:
    out = _tty()
    bar = ProgressBar("x", stream=out, quiet=True, env="1")
    bar(5, 10)
    bar.close()
    assert out.getvalue() == "" and not bar.drawing


def test_writes_happen_inside_the_suspend_context() -> None:
    seen: list[str] = []
    out = _tty()

    class Suspend:
        def __enter__(self) -> None:
            seen.append(out.getvalue())

        def __exit__(self, *args: object) -> None:
            seen.append(out.getvalue())

    bar = ProgressBar("x", stream=out, env="", suspend=Suspend, clock=Clock())
    bar(1, 1000)
    assert seen[-2] == "" and "1/1,000" in seen[-1]
