"""A second process for the work a build can hand off: great-expectations suites and the report's charts.

Importing great_expectations costs about 4 CPU-seconds (it pulls in pandas, sqlalchemy, scipy.stats
and altair), most of a bundled build's import floor, and drawing the report's six charts about 1.5
more with matplotlib's own import. `flopcast build` starts this helper first thing (``in_background``),
so those imports run on another core while Dagster loads and the raw and clean stages run. Each
blocking expectations check then sends its table here and waits for the result
(``validation.run_suite``), and the report step has the charts drawn here (``report.render_report``);
the build process itself never imports great-expectations or matplotlib.

The helper runs the same functions on the same inputs as the build process would
(``validation.run_arrow_suite``, ``report.draw_charts``), so results and PNG bytes are identical;
only where the CPU time is spent changes. If the helper is gone (killed, out of memory), the caller
does the work itself and says so on stderr.

Protocol, over the helper's stdin and a private copy of its stdout (its fd 1 is pointed at stderr so
that nothing a library prints can corrupt the replies): a request is a pickled ``(kind, args)``; a
suite's rows follow it as an Arrow IPC stream. A reply is a pickled ``("ok", value)`` or ``("error",
exception type name, message)``. EOF on stdin ends the helper, and so does the death of the build
process (a watchdog thread), so a killed build leaves no helper behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import polars

    from pipelines.lib.report import ReportData
    from pipelines.lib.validation import Suite, SuiteResult

# Exceptions the helper may report that the build process re-raises as the same type.
_REBUILT_ERRORS = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError}


class HelperGone(RuntimeError):
    """The helper process died or closed its pipe; the caller does the work itself."""


class BuildHelper:
    """A helper process that has imported (or is importing) great-expectations and matplotlib."""

    def __init__(self) -> None:
        import pipelines

        package_root = str(Path(pipelines.__file__).resolve().parents[1])  # the same code as this process
        env = {
            **os.environ,
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.lib.build_helper", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._lock = threading.Lock()
        self._used = False
        self.broken = False

    def run_suite(self, frame: polars.DataFrame, suite: Suite, *, table: str) -> SuiteResult:
        """validation.run_arrow_suite(frame.to_arrow(), suite, table=table), in the helper."""
        import pyarrow as pa

        rows = frame.to_arrow()

        def send_rows(stream: IO[bytes]) -> None:
            with pa.ipc.new_stream(stream, rows.schema) as writer:
                writer.write_table(rows)

        return self._request("suite", (suite, table), send_rows)

    def draw_charts(self, data: ReportData, out_dir: Path) -> dict[str, tuple[Path, str]]:
        """report.draw_charts(data, out_dir), in the helper."""
        return self._request("charts", (data, Path(out_dir)))

    def _request(self, kind: str, args: tuple, send_more=None):
        if self.broken:
            raise HelperGone("the build helper is not running")
        with self._lock:
            self._used = True
            try:
                pickle.dump((kind, args), self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                if send_more is not None:
                    send_more(self._process.stdin)
                self._process.stdin.flush()
                reply = pickle.load(self._process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError, ValueError) as exc:
                self.broken = True
                raise HelperGone(
                    f"the build helper stopped ({type(exc).__name__}: {exc}); exit code {self._process.poll()}"
                ) from exc
        if reply[0] == "ok":
            return reply[1]
        _, error, message = reply
        raise _REBUILT_ERRORS.get(error, RuntimeError)(message)

    def close(self, timeout: float = 10.0) -> None:
        """End the helper (EOF on its stdin) and reap it, so its CPU time counts as the build's.
        A helper that was never asked anything (the build stopped early) may still be importing:
        it is killed rather than waited for."""
        try:
            self._process.stdin.close()
        except OSError:
            pass
        if not self._used:
            self._process.kill()
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


_active: BuildHelper | None = None  # set only inside in_background()


@contextlib.contextmanager
def in_background() -> Iterator[None]:
    """Start the helper now; until the block ends, suites and charts are sent to it. `flopcast
    build` runs in one; a process that runs several builds (a test session) does better without:
    it imports great-expectations once and keeps it. A no-op when an outer block already runs a
    helper, or when great-expectations is imported here already (nothing left to overlap)."""
    global _active
    if _active is not None or "great_expectations" in sys.modules:
        yield
        return
    _active = BuildHelper()
    try:
        yield
    finally:
        helper, _active = _active, None
        helper.close()


def active() -> BuildHelper | None:
    """The running helper inside in_background(), if it still works."""
    return _active if _active is not None and not _active.broken else None


def handed_off(what: str, work, *args, **kwargs):
    """work(*args, **kwargs) on the active helper; None when there is none or it is gone (then the
    caller does the work itself)."""
    helper = active()
    if helper is None:
        return None
    try:
        return work(helper, *args, **kwargs)
    except HelperGone as exc:
        print(f"flopcast: {exc}; {what} in this process instead", file=sys.stderr, flush=True)
        return None


# --- the helper process -----------------------------------------------------------------------


def _exit_with_parent(parent_pid: int) -> None:
    """A build killed with SIGKILL cannot close our stdin while we import: watch for it instead."""
    import time

    while True:
        time.sleep(0.2)
        if os.getppid() != parent_pid:
            os._exit(0)


def _warm_up() -> None:
    """The imports, and the lazy work of a first validation and a first chart (GX's lazy imports,
    matplotlib's font loading), done before the build asks for them."""
    import pyarrow as pa

    from pipelines.lib.validation import Suite, not_null, run_arrow_suite

    run_arrow_suite(pa.table({"x": [1]}), Suite("warm_up", (not_null("x"),)), table="warm_up")
    from pipelines.lib.report import warm_up_charts

    warm_up_charts()


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    import pyarrow as pa

    from pipelines.lib.report import draw_charts
    from pipelines.lib.validation import run_arrow_suite

    while True:
        try:
            kind, args = pickle.load(requests)
        except EOFError:
            return
        try:
            if kind == "suite":
                rows = pa.ipc.open_stream(requests).read_all()  # read before any error can be raised
                suite, table = args
                reply = ("ok", run_arrow_suite(rows, suite, table=table))
                del rows
            elif kind == "charts":
                reply = ("ok", draw_charts(*args))
            else:
                reply = ("error", "ValueError", f"unknown request {kind!r}")
        except Exception as exc:  # e.g. a suite that cannot be built: the build process re-raises it
            reply = ("error", type(exc).__name__, str(exc))
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


def main(argv: list[str]) -> int:
    """The helper process's loop: answer the build's requests (expectation suites, charts) until EOF or the parent's death."""
    parent_pid = int(argv[0]) if argv else os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the replies
    sys.stdout = sys.stderr
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    _warm_up()
    _serve(sys.stdin.buffer, replies)
    replies.close()
    # Nothing is left to flush or clean up (every reply is written, every chart file closed), and
    # an orderly interpreter exit with great-expectations and matplotlib loaded takes seconds,
    # which the build would wait for when it reaps the helper.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
