"""Each replacement of sar_mm.compat is on by default and can be switched
off with SAR_MM_COMPAT_OFF, in a fresh process (they act on import)."""
import subprocess
import sys

import pytest

from tests.utils import tool_env

pytestmark = pytest.mark.slow

PROBE = """
import sar_mm
import mmcv
import mmengine.config.utils
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import CheckpointLoader
print(type(get_file_backend('x.pth')).__name__)
print(CheckpointLoader._schemes[''].__module__)
print(mmcv.adjust_hue.__module__)
print(mmengine.config.utils._get_cfg_metainfo.__module__)
"""
HUE, INDEX = 'sar_mm.compat.hue', 'sar_mm.compat.config_index'



def probe(**env):
    result = subprocess.run([sys.executable, '-c', PROBE],
                            env=tool_env(**env), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split(), result.stderr


@pytest.mark.parametrize('off,expected', [
    ('', ['AtomicLocalBackend', 'sar_mm.compat.checkpoint', HUE, INDEX]),
    ('atomic_save', ['LocalBackend', 'sar_mm.compat.checkpoint', HUE, INDEX]),
    (' checkpoint, atomic_save',
     ['LocalBackend', 'mmengine.runner.checkpoint', HUE, INDEX]),
    ('hue,config_index', [
        'AtomicLocalBackend', 'sar_mm.compat.checkpoint',
        'mmcv.image.photometric', 'mmengine.config.utils'
    ]),
])
def test_replacements_switch_off_one_by_one(off, expected):
    assert probe(SAR_MM_COMPAT_OFF=off)[0] == expected


def test_an_unknown_name_is_warned_about():
    out, err = probe(SAR_MM_COMPAT_OFF='atomic_sav')
    assert out[0] == 'AtomicLocalBackend'
    assert "names ['atomic_sav'], which are not replacements" in err
