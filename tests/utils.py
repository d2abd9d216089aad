"""Helpers shared by the tests (import as ``from tests.utils import ...``)."""
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import torch

REPO = Path(__file__).resolve().parents[1]
SAR_MM = str(REPO / 'sar_mm') + os.sep
TEST_CONFIGS = REPO / 'tests' / 'data' / 'configs'
DEMO_CONFIGS = REPO / 'configs' / 'demo'
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
    PYTHONPATH and the running interpreter's bin (torchrun) on PATH."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(REPO)] + [p for p in [env.get('PYTHONPATH')] if p])
    env['PATH'] = os.pathsep.join(
        [str(Path(sys.executable).parent), env.get('PATH', '')])
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


def free_port() -> int:
    """A TCP port free right now, so parallel test runs never collide on a
    fixed rendezvous port."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class HostReads:
    """Counts, inside a ``with`` block, the tensor calls that make a CUDA
    host wait for the device: reading a value back (``item``, ``tolist``,
    ``bool(t)``...), or sizing an output by the data (``nonzero``,
    ``unique``, ``bincount``, boolean-mask indexing).

    On CPU nothing waits, so the calls themselves are counted, split by who
    made them: ``ours`` lists ``'name file:line'`` of the calls made by
    sar_mm's code, ``upstream`` counts the others (torch's own Python code,
    mmengine, mmseg, mmpretrain).
    """

    METHODS = ('item', 'tolist', 'numpy', 'cpu', 'nonzero', 'unique',
               'bincount', 'masked_select', '__bool__', '__int__',
               '__float__', '__index__')
    FUNCTIONS = ('nonzero', 'argwhere', 'unique', 'bincount',
                 'masked_select')

    def __init__(self):
        self.ours, self.upstream = [], Counter()
        self._stack = ExitStack()

    def _record(self, name):
        frame = sys._getframe(2)  # the caller of the patched function
        if frame.f_code.co_filename.startswith(SAR_MM):
            self.ours.append(f'{name} {frame.f_code.co_filename[len(SAR_MM):]}'
                             f':{frame.f_lineno}')
        else:
            self.upstream[name] += 1

    def _counting(self, name, original, counts=lambda *a, **k: True):

        def wrapper(*args, **kwargs):
            if counts(*args, **kwargs):
                self._record(name)
            return original(*args, **kwargs)

        return wrapper

    @staticmethod
    def _bool_mask(tensor, index, *args):
        indices = index if isinstance(index, tuple) else (index, )
        return any(
            isinstance(i, torch.Tensor) and i.dtype == torch.bool
            for i in indices)

    def __enter__(self):
        patches = [(torch.Tensor, name, getattr(torch.Tensor, name))
                   for name in self.METHODS]
        patches += [(torch, name, getattr(torch, name))
                    for name in self.FUNCTIONS]
        for owner, name, original in patches:
            self._stack.enter_context(
                mock.patch.object(owner, name,
                                  self._counting(name, original)))
        self._stack.enter_context(
            mock.patch.object(
                torch.Tensor, '__getitem__',
                self._counting('bool-mask indexing',
                               torch.Tensor.__getitem__, self._bool_mask)))
        self._stack.enter_context(
            mock.patch.object(
                torch, 'where',
                self._counting('torch.where(condition)', torch.where,
                               lambda *args, **kwargs: len(args) +
                               len(kwargs) == 1)))
        return self

    def __exit__(self, *exc):
        self._stack.close()
