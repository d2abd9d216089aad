"""Helpers shared by the tests (import as ``from tests.utils import ...``)."""
import contextlib
import io
import json
import os
import random
import runpy
import socket
import subprocess
import sys
import traceback
import warnings
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


def run_tool(args, cwd, timeout=600, subprocess_=False,
             **env) -> subprocess.CompletedProcess:
    """Run ``tools/<script> args`` in ``cwd``: in this process (see
    :func:`run_tool_inprocess`) unless it is a shell script or
    ``subprocess_`` asks for a real process. Only a subprocess shows the
    exit status the shell sees, what reaches stderr at interpreter exit and
    the process-group teardown; everything else is checked faster here."""
    script = str(REPO / 'tools' / args[0])
    if not (subprocess_ or script.endswith('.sh')):
        return run_tool_inprocess(args, cwd, **env)
    cmd = (['bash', script] if script.endswith('.sh') else
           [sys.executable, script]) + [str(a) for a in args[1:]]
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=tool_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout)


def _manager_classes():
    """mmengine's global-instance classes (loggers, message hubs,
    visualizers, default scopes), subclasses included."""
    from mmengine.utils import ManagerMixin
    found, stack = [], [ManagerMixin]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


@contextlib.contextmanager
def fresh_process_state(cwd, argv, **env):
    """What ``python tools/x.py`` starts with, for a run in this process,
    and everything put back afterwards so that tests stay independent:
    cwd, argv, sys.path, os.environ, tool modules, mmengine's global
    instances (a run's loggers are closed), trusted checkpoints, random
    states, thread counts,
    warning filters and torch's deterministic flag."""
    import cv2
    import numpy as np
    import torch

    from sar_mm.compat import checkpoint
    trusted = set(checkpoint._trusted)  # --trust-checkpoint's files
    saved_env, saved_path = dict(os.environ), list(sys.path)
    saved_argv, saved_cwd = list(sys.argv), os.getcwd()
    saved_modules = set(sys.modules)
    managers = {cls: cls._instance_dict.copy() for cls in _manager_classes()}
    rng = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    threads = (torch.get_num_threads(), cv2.getNumThreads())
    deterministic = torch.are_deterministic_algorithms_enabled()
    for cls in managers:  # no logger or scope of an earlier run
        cls._instance_dict.clear()
    os.environ.update({k: str(v) for k, v in env.items()})
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    sys.argv = [str(a) for a in argv]
    sys.path.insert(0, os.path.dirname(sys.argv[0]))
    os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            yield
    finally:
        os.chdir(saved_cwd)
        checkpoint._trusted.clear()
        checkpoint._trusted.update(trusted)
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.environ.clear()
        os.environ.update(saved_env)
        tools = str(REPO / 'tools')
        for name in set(sys.modules) - saved_modules:
            if (getattr(sys.modules[name], '__file__', None)
                    or '').startswith(tools):
                del sys.modules[name]
        from mmengine.logging import MMLogger
        for cls, instances in managers.items():
            for name, obj in cls._instance_dict.items():
                if name not in instances and isinstance(obj, MMLogger):
                    for handler in list(obj.handlers):
                        handler.close()
                        obj.removeHandler(handler)
            cls._instance_dict.clear()
            cls._instance_dict.update(instances)
        random.setstate(rng[0])
        np.random.set_state(rng[1])
        torch.set_rng_state(rng[2])
        torch.set_num_threads(threads[0])
        cv2.setNumThreads(threads[1])
        torch.use_deterministic_algorithms(deterministic)
        if torch.distributed.is_available() and \
                torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def run_tool_inprocess(args, cwd, **env) -> subprocess.CompletedProcess:
    """Run ``tools/<script> args`` as ``__main__`` in this process, with
    ``cwd`` as the working directory and ``env`` added to the environment.

    Returns what :func:`run_tool` does: the exit status (``SystemExit``'s
    code, 0 when the script returns, 1 with the traceback on stderr for an
    uncaught exception, as the interpreter does) and the captured stdout
    and stderr. Saves the ~8 s a new process spends importing torch, mmseg
    and mmpretrain."""
    script = str(REPO / 'tools' / args[0])
    argv = [script] + [str(a) for a in args[1:]]
    out, err = io.StringIO(), io.StringIO()
    with fresh_process_state(cwd, argv, **env), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(script, run_name='__main__')
            code = 0
        except SystemExit as exit_:
            code = exit_.code
            if code is not None and not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            code = code or 0
        except Exception:  # noqa: BLE001  (as the interpreter reports it)
            traceback.print_exc(file=sys.stderr)
            code = 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(),
                                       err.getvalue())


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


def semi_seg_arm(name, tmp_path, checkpoint=None, decoder='fcn',
                 split='1_8'):
    """The config of a ``benchmarks/semi_seg.py`` arm (at 1/8 by default),
    as the benchmark writes it (with ``checkpoint``: its backbone's
    weights)."""
    from mmengine.config import Config

    from benchmarks.semi_seg import arm_config
    base, extra = arm_config(split, name, checkpoint, decoder)
    path = Path(tmp_path) / f'{decoder}_{split}_{name}.py'
    path.write_text(f"_base_ = ['{base}']\n{extra}\n")
    return Config.fromfile(path)
