"""benchmarks/gpu_check.py: its CPU fallback runs every stage at a tiny
size and writes the report; without CUDA, --device cuda stops with one
line. (On a machine with CUDA, tests/test_robustness/test_no_host_sync.py
runs its sync stage.)"""
import subprocess
import sys

import pytest
import torch

from tests.utils import REPO, tool_env

pytestmark = pytest.mark.slow
SCRIPT = str(REPO / 'benchmarks' / 'gpu_check.py')


def test_cpu_fallback_runs_every_stage_and_writes_the_report(tmp_path):
    out = tmp_path / 'gpu.md'
    result = subprocess.run(
        [sys.executable, SCRIPT, '--device', 'cpu', '--quick', '--out', out],
        cwd=tmp_path, env=tool_env(), capture_output=True, text=True,
        timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    report = out.read_text()
    for stage in ('parity', 'amp', 'overhead', 'sync'):
        assert f'## {stage}: pass' in report
    assert report.count('| pass |') == 5  # one row per module
    assert '2 losses logged, 2 finite' in report
    # the supervised SAR step and both semi-supervised ones
    for step in ('SAR + LongTailPixelSampler', 'FixMatch + SAR, EMA teacher',
                 'UniMatch + SAR'):
        assert f'{step}' in report
    assert report.count('sar_mm syncs: 0;') == 3
    assert report.rstrip().endswith('Result: all checks pass.')


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is present')
def test_cuda_without_a_gpu_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, SCRIPT, '--out', tmp_path / 'gpu.md'],
        env=tool_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'ERROR: --device cuda, but torch sees no CUDA device; use --device '
        'cpu --quick for the CPU fallback'
    ]
    assert not (tmp_path / 'gpu.md').exists()
