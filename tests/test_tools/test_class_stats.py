"""tools/analysis_tools/class_stats.py on label maps written by hand:
counts, reduce_zero_label, ignore and out-of-range values, errors."""
import json

import cv2
import numpy as np
import pytest

from sar_mm.datasets import LTDigitScenes
from sar_mm.utils import ClassStats
from tests.utils import REPO, TINY_SEMI, one_error_line, run_tool

CONFIG = """
default_scope = 'mmseg'
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
train_dataloader = dict(
    dataset=dict(
        type='BaseSegDataset',
        data_root='{root}',
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png',
        seg_map_suffix='.png',
        metainfo=dict(classes=('a', 'b', 'c')),
        reduce_zero_label={reduce},
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ]))
"""

# label files as stored on disk
LABEL_FILES = [
    [[0, 1, 1], [2, 3, 200]],
    [[1, 1, 1], [1, 255, 4]],
]


def write_dataset(root, reduce_zero_label, label_files=LABEL_FILES):
    for sub in ('img', 'ann'):
        (root / sub).mkdir(parents=True)
    for i, label in enumerate(label_files):
        cv2.imwrite(str(root / 'img' / f'{i}.png'),
                    np.zeros((*np.shape(label)[:2], 3), np.uint8))
        cv2.imwrite(str(root / 'ann' / f'{i}.png'), np.array(label, np.uint8))
    config = root / 'config.py'
    config.write_text(CONFIG.format(root=root, reduce=reduce_zero_label))
    return config


@pytest.mark.slow
@pytest.mark.parametrize(
    'reduce_zero_label,pixels,images,out_of_range',
    [
        # 0 -> ignore, v -> v - 1: a = old 1 (2 + 4 px), b = old 2, c = old 3;
        # old 200 and 4 become 199 and 3, out of range
        (True, [6, 1, 1], [2, 1, 1], {
            '3': 1,
            '199': 1
        }),
        # as stored: a = 0, b = 1, c = 2; 3, 4 and 200 are out of range
        (False, [1, 6, 1], [1, 2, 1], {
            '3': 1,
            '4': 1,
            '200': 1
        }),
    ])
def test_counts_by_hand(tmp_path, reduce_zero_label, pixels, images,
                        out_of_range):
    config = write_dataset(tmp_path / 'data', reduce_zero_label)
    out, plot = tmp_path / 'stats.json', tmp_path / 'stats.png'
    result = run_tool([
        'analysis_tools/class_stats.py', config, '--out', out, '--plot', plot,
        '--nproc', 2
    ], tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data['pixel_counts'] == pixels
    assert data['image_counts'] == images
    assert data['num_images'] == 2
    assert data['reduce_zero_label'] is reduce_zero_label
    assert data['out_of_range'] == out_of_range
    assert data['frequencies'] == pytest.approx([n / 8 for n in pixels])
    assert data['source']['split'] == 'train'
    assert data['source']['dataset'] == 'BaseSegDataset'
    # class thirds: the 6-pixel class is head, then ties by index
    major = pixels.index(6)
    rest = [c for c in range(3) if c != major]
    assert data['groups'] == dict(head=[major], medium=rest[:1], tail=rest[1:])
    ClassStats.load(str(out))
    assert plot.read_bytes()[:4] == b'\x89PNG'
    values = sorted(int(v) for v in out_of_range)
    assert f'WARNING: label value(s) {values} ({len(values)} pixels in 2 ' \
        'images) are neither a class in [0, 3)' in result.stdout
    table = result.stdout[result.stdout.index('| Class'):]
    assert table.index(f'| {"abc"[major]} ') < table.index(
        f'| {"abc"[rest[1]]} ')


@pytest.mark.slow
def test_pixel_share_rule_and_bounds(tmp_path):
    config = write_dataset(tmp_path / 'data', True)
    out = tmp_path / 'stats.json'
    result = run_tool([
        'analysis_tools/class_stats.py', config, '--out', out, '--nproc', 1,
        '--group-rule', 'pixel_share', '--group-bounds', 0.8, 0.9
    ], tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    # shares before: a 0, b 6/8, c 7/8
    assert data['split'] == dict(rule='pixel_share', bounds=[0.8, 0.9])
    assert data['groups'] == dict(head=[0, 1], medium=[2], tail=[])


@pytest.mark.slow
@pytest.mark.parametrize('args,labels,message', [
    (['--group-bounds', '0.9', '0.2'], LABEL_FILES, 'head <= medium'),
    (['--split', 'val'], LABEL_FILES, 'the config has no val_dataloader'),
    ([], [[[0, 0], [0, 0]]], 'no pixel of the train split has a class '
     'label'),
    (['--cfg-options', 'train_dataloader.dataset.data_root=missing'],
     LABEL_FILES, "data_root 'missing' of train_dataloader.dataset"),
])
def test_bad_input_is_one_line(tmp_path, args, labels, message):
    config = write_dataset(tmp_path / 'data', True, labels)
    result = run_tool([
        'analysis_tools/class_stats.py', config, '--out', tmp_path / 's.json',
        '--nproc', 1, *args
    ], tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 's.json').exists()


@pytest.mark.slow
def test_shipped_demo_statistics_are_up_to_date(tmp_path):
    """The demo's LTIoUMetric groups come from a committed file: it must be
    what the tool computes from the generated dataset today."""
    shipped = REPO / 'configs/_base_/datasets/lt_digit_scenes_class_stats.json'
    out = tmp_path / 'stats.json'
    result = run_tool([
        'analysis_tools/class_stats.py',
        REPO / 'configs/demo/fcn_lt-digit-scenes.py', '--out', out
    ], tmp_path)
    assert result.returncode == 0, result.stderr
    fresh, committed = (json.loads(p.read_text()) for p in (out, shipped))
    for key in ('classes', 'pixel_counts', 'image_counts', 'num_images',
                'split', 'groups', 'out_of_range'):
        assert fresh[key] == committed[key], key


@pytest.mark.slow
def test_colour_masks_are_refused(tmp_path):
    """Counted, their channel values would pass for labels: refused as
    training refuses them."""
    rgb = [[[1, 1, 1], [2, 2, 2], [0, 0, 0]]] * 2
    config = write_dataset(tmp_path / 'data', False, [rgb, rgb])
    line = one_error_line(run_tool([
        'analysis_tools/class_stats.py', config, '--out', tmp_path / 's.json'
    ], tmp_path))
    assert 'ann/0.png has shape (2, 3, 3) (RGB image), but a mask must be ' \
        'single-channel' in line
    assert line.endswith('(2 of 2 masks of train_dataloader.dataset fail '
                         'this check.)')
    assert not (tmp_path / 's.json').exists()


@pytest.mark.slow
def test_semi_config_marks_classes_without_a_labelled_pixel(tmp_path):
    root = tmp_path / 'data/lt_digit_scenes_tiny'
    LTDigitScenes(data_root=str(root), num_train=24, num_val=6,
                  lazy_init=True)
    # one scene of the config's labelled split: labelled alone, it misses
    # classes
    scene = (root / 'splits/1_8/labeled.txt').read_text().splitlines()[0]
    (tmp_path / 'one.txt').write_text(scene + '\n')
    mask = cv2.imread(str(root / scene.split()[1]), cv2.IMREAD_UNCHANGED)
    names = LTDigitScenes.METAINFO['classes']
    missing = [n for c, n in enumerate(names) if not (mask == c).any()]
    assert missing
    result = run_tool([
        'analysis_tools/class_stats.py', TINY_SEMI, '--out',
        tmp_path / 's.json', '--cfg-options',
        f'train_dataloader.dataset.datasets.0.split_file={tmp_path}/one.txt'
    ], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (f'WARNING: class(es) {missing} have no pixel in the labelled '
            f'split ({tmp_path}/one.txt): training learns them from no '
            f'label') in result.stdout
    assert 'make_splits.py --stratified' in result.stdout
    rows = [line.split('|') for line in result.stdout.splitlines()
            if line.startswith('|')]
    assert sorted(row[1].strip() for row in rows
                  if row[2].strip().endswith(', unlabelled')) == \
        sorted(missing)
