"""Helpers shared by the tests (import as ``from tests.utils import ...``)."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIGS = REPO / 'tests' / 'data' / 'configs'
DEMO_CONFIGS = REPO / 'configs' / 'demo'
SEMI_CONFIGS = REPO / 'configs' / 'semi'
TINY_SEMI = TEST_CONFIGS / 'fixmatch_tiny_lt-digit-scenes.py'
# --cfg-options loading the training data in the training process itself
# (no worker start-up per test; every RNG state is the process's own)
NO_WORKERS = ('train_dataloader.num_workers=0',
              'train_dataloader.persistent_workers=False')


def scalars(work_dir) -> list:
    """The records of the ``scalars.json`` a tools/train.py run wrote
    under ``work_dir``."""
    path = next(Path(work_dir).glob('*/vis_data/scalars.json'))
    return [json.loads(line) for line in path.read_text().splitlines()]


def tool_env(**extra) -> dict:
    """Environment for running the tools in a subprocess: this checkout on
    PYTHONPATH, and the running interpreter as the shell scripts' PYTHON
    (nothing of the venv on PATH, as for a user who did not activate it)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(REPO)] + [p for p in [env.get('PYTHONPATH')] if p])
    env['PYTHON'] = sys.executable
    env.setdefault('OMP_NUM_THREADS', '1')
    env.update(extra)
    return env


def run_tool(args, cwd, timeout=600, **env) -> subprocess.CompletedProcess:
    """Run ``python tools/<script> args`` (or a shell script) in ``cwd``."""
    script = str(REPO / 'tools' / args[0])
    cmd = (['bash', script] if script.endswith('.sh') else
           [sys.executable, script]) + [str(a) for a in args[1:]]
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=tool_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The tool's single ``ERROR:`` line; fails unless the run exited with
    status 1 and wrote exactly one such line and no traceback."""
    assert result.returncode == 1, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    errors = [ln for ln in result.stderr.splitlines()
              if ln.startswith('ERROR: ')]
    assert len(errors) == 1, result.stderr[-2000:]
    return errors[0]


def free_port() -> int:
    """A TCP port free right now, so parallel test runs never collide on a
    fixed rendezvous port."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def training_batches(cfg, cwd, count=1) -> list:
    """The first ``count`` batches of ``cfg.train_dataloader``, built and
    loaded with ``cwd`` as the working directory (where the configs'
    relative data roots, such as the generated scenes, live); the
    augmentations are seeded, so the batches are the same every time."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, set_random_seed
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    set_random_seed(0)
    before = os.getcwd()
    os.chdir(cwd)
    try:
        loader = iter(Runner.build_dataloader(cfg.train_dataloader, seed=0))
        return [next(loader) for _ in range(count)]
    finally:
        os.chdir(before)
