"""`make install` is idempotent: a second run installs nothing."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.utils import REPO

pytestmark = pytest.mark.slow
VENV = Path(sys.prefix)


def pip_freeze():
    return subprocess.run([sys.executable, '-m', 'pip', 'freeze'],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(
    not list(VENV.glob('.sar_mm-deps-*')),
    reason=f'{VENV} was not set up by `make install`; not touching it')
def test_second_make_install_changes_nothing():
    make = ['make', '--no-print-directory', 'install', f'VENV={VENV}']
    first = subprocess.run(make, cwd=REPO, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    before = pip_freeze()
    start = time.perf_counter()
    second = subprocess.run(make, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert second.returncode == 0, second.stdout + second.stderr
    assert 'pip' not in second.stdout, second.stdout
    assert 'ready in' in second.stdout
    assert elapsed < 60
    assert pip_freeze() == before
