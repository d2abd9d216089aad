"""docs/en/user_guides/own_dataset.md, run as written: every ``python``
command of its ``bash`` blocks, in order, on the toy dataset it writes,
with the guide's own configs (configs/own_dataset/). The commands run
from a directory that links ``configs`` and ``tools`` of this checkout,
as from a fresh clone's root, each in this process (tests.utils.run_tool
gives every run a fresh process state)."""
import json
import re
import shlex

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.utils import REPO, run_tool

pytestmark = pytest.mark.slow
GUIDE = REPO / 'docs/en/user_guides/own_dataset.md'
CONFIGS = REPO / 'configs/own_dataset'
SEMI = 'fixmatch-sar-fcn_r18-d8_1xb4-100_my-set-1-4-64x64'


def guide_commands(text):
    """The ``python ...`` commands of the guide's bash blocks, with their
    backslash continuations joined."""
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', text, re.S):
        for command in block.replace('\\\n', ' ').splitlines():
            if command.strip():
                commands.append(shlex.split(command))
    return commands


@pytest.fixture(scope='module')
def guide_run(tmp_path_factory):
    """Run every command of the guide once; the directory it ran in."""
    cwd = tmp_path_factory.mktemp('own_dataset')
    for name in ('configs', 'tools'):
        (cwd / name).symlink_to(REPO / name)
    commands = guide_commands(GUIDE.read_text())
    for command in commands:
        assert command[0] == 'python' and command[1].startswith(
            'tools/'), command
        result = run_tool([command[1][len('tools/'):]] + command[2:], cwd)
        assert result.returncode == 0, (command, result.stderr[-3000:])
    return cwd, commands


def test_the_guide_runs_its_own_configs(guide_run):
    _, commands = guide_run
    used = {arg for command in commands for arg in command}
    text = GUIDE.read_text()
    for config in CONFIGS.glob('*.py'):
        rel = f'configs/own_dataset/{config.name}'
        # each config is shown in the guide or run by it
        assert rel in used or rel in text, rel
    assert f'configs/own_dataset/{SEMI}.py' in used


def test_class_statistics_of_the_toy_masks(guide_run):
    cwd, _ = guide_run
    stats = json.loads((cwd / 'data/my_set/class_stats.json').read_text())
    assert stats['classes'] == ['background', 'disc', 'square']
    pixels = np.zeros(3, np.int64)
    for mask_file in (cwd / 'data/my_set/ann_dir/train').glob('*.png'):
        mask = cv2.imread(str(mask_file), cv2.IMREAD_UNCHANGED)
        # reduce_zero_label: 0 is ignored, 1, 2, 3 are the classes 0, 1, 2
        pixels += np.bincount(mask.ravel(), minlength=4)[1:4]
    assert stats['pixel_counts'] == pixels.tolist()
    assert stats['num_images'] == 12
    assert stats['groups']['tail'] == [2]  # the square


def test_split_files_and_the_labelled_statistics(guide_run):
    cwd, _ = guide_run
    split = cwd / 'data/my_set/splits/1_4'
    labelled = split.joinpath('labeled.txt').read_text().splitlines()
    unlabelled = split.joinpath('unlabeled.txt').read_text().splitlines()
    assert (len(labelled), len(unlabelled)) == (3, 9)
    classes = set()
    for line in labelled:
        mask = cv2.imread(str(cwd / 'data/my_set' / line.split()[1]),
                          cv2.IMREAD_UNCHANGED)
        classes |= set(np.unique(mask).tolist())
    assert {1, 2, 3} <= classes  # --stratified: the square is labelled
    stats = json.loads(
        (cwd / 'work_dirs/my_set/labelled_stats.json').read_text())
    assert stats['num_images'] == 3


def test_training_test_and_pictures(guide_run):
    cwd, _ = guide_run
    for run in ('fcn-sar_r18-d8_1xb4-100_my-set-64x64', SEMI):
        assert (cwd / 'work_dirs' / run / 'iter_100.pth').is_file()
    pictures = list(
        (cwd / 'work_dirs/my_set/show/vis_data/vis_image').glob('*.png'))
    assert len(pictures) == 4  # one per val scene


@pytest.mark.parametrize(
    'figure', ['class_stats', 'anchors', 'features', 'curves', 'per_class'])
def test_analysis_figures(guide_run, figure):
    cwd, _ = guide_run
    with Image.open(cwd / f'work_dirs/my_set/{figure}.png') as image:
        assert image.format == 'PNG' and min(image.size) >= 100


def test_feature_geometry(guide_run):
    cwd, _ = guide_run
    geometry = json.loads(
        (cwd / 'work_dirs/my_set/geometry/geometry.json').read_text())
    assert geometry
