"""Run a tool's ``__main__`` inside the test process (no interpreter and
import start-up per call), as a user would run it from ``cwd``."""
import runpy
import sys
from typing import NamedTuple

from tests.utils import REPO


class ToolResult(NamedTuple):
    """Exit status and what the tool printed."""
    returncode: int
    stdout: str
    stderr: str


def run_in_process(args, cwd, monkeypatch, capsys) -> ToolResult:
    """Run ``tools/<args[0]> args[1:]`` in this process from ``cwd``.

    Args:
        args (list): The script under ``tools/`` and its arguments.
        cwd: The working directory of the run.
        monkeypatch: pytest's fixture (restores cwd and ``sys.argv``).
        capsys: pytest's fixture; what was printed before is discarded.

    Returns:
        ToolResult: The exit status (0 when ``main`` returned) and output.
    """
    script = str(REPO / 'tools' / args[0])
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, 'argv', [script] + [str(a) for a in args[1:]])
    capsys.readouterr()
    code = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return ToolResult(code, out, err)


def one_error_line(result: ToolResult) -> str:
    """The run's single ``ERROR:`` line; fails unless it exited with 1 and
    printed exactly one such line and no traceback."""
    assert result.returncode == 1, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    errors = [ln for ln in result.stderr.splitlines()
              if ln.startswith('ERROR: ')]
    assert len(errors) == 1, result.stderr[-2000:]
    return errors[0]
