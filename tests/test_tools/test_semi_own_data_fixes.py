"""What a user with their own data hit with semi-supervised configs
(issue 18, items 1-5 and the repeated split line): each gives the right
behaviour or one clear line. One tiny FixMatch + SAR + EMA teacher run is
trained once; everything else runs in this process."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.utils import TEST_CONFIGS, TINY_SEMI, one_error_line, run_tool

SEMI_SAR = TEST_CONFIGS / 'fixmatch_tiny_lt-digit-scenes_sar-ema.py'
SPLIT_DIR = 'data/lt_digit_scenes_tiny/splits/1_8'


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    """A 4-iteration FixMatch + SAR + EMA teacher run (it also generates
    the tiny scenes and their split files)."""
    cwd = tmp_path_factory.mktemp('semi_fixes')
    result = run_tool([
        'train.py', SEMI_SAR, '--work-dir', 'wd', '--cfg-options',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4'
    ], cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd


def write_config(cwd, name, body):
    path = cwd / name
    path.write_text(f"_base_ = ['{TINY_SEMI}']\n" + body)
    return path


def test_multibranch_without_branch_field_is_one_line():
    import sar_mm  # noqa: F401
    from mmseg.registry import TRANSFORMS
    from sar_mm.utils import UserInputError
    with pytest.raises(UserInputError, match="branch_field=\\['sup'"):
        TRANSFORMS.build(
            dict(type='MultiBranch', sup=[dict(type='PackSegInputs')]))


def test_different_branch_fields_refused_before_training(
        run_dir):
    config = write_config(
        run_dir, 'branches.py', """
labelled, unlabelled = _base_.train_dataloader.dataset.datasets
views = dict(unlabelled.pipeline[-1], branch_field=['a', 'unsup_weak',
                                                    'unsup_strong'])
train_dataloader = dict(dataset=dict(datasets=[
    labelled, dict(unlabelled, pipeline=unlabelled.pipeline[:-1] + [views])
]))
""")
    result = run_tool(['train.py', config, '--work-dir', 'wd_bad'], run_dir)
    line = one_error_line(result)
    assert 'same branch_field' in line
    assert "['sup', 'unsup_weak', 'unsup_strong']" in line
    assert "['a', 'unsup_weak', 'unsup_strong']" in line
    assert not (run_dir / 'wd_bad').exists() or not list(
        (run_dir / 'wd_bad').rglob('*.pth'))


@pytest.mark.parametrize('labelled', [False, True])
def test_wrong_mask_loader_refused_before_training(labelled, run_dir):
    index, old, new = (1, 'LoadEmptySegMap', 'LoadAnnotations') \
        if not labelled else (0, 'LoadAnnotations', 'LoadEmptySegMap')
    config = write_config(
        run_dir, f'loader_{index}.py', f"""
datasets = list(_base_.train_dataloader.dataset.datasets)
pipeline = [dict(type='{new}') if step['type'] == '{old}' else step
            for step in datasets[{index}].pipeline]
datasets[{index}] = dict(datasets[{index}], pipeline=pipeline)
train_dataloader = dict(dataset=dict(datasets=datasets))
""")
    result = run_tool(['train.py', config, '--work-dir', 'wd_bad'], run_dir)
    line = one_error_line(result)
    role = 'labelled' if labelled else 'unlabelled'
    assert f'pipeline of {role} split' in line
    assert f"dict(type='{old}')" in line, line


def test_repeated_split_line_warns_with_line_numbers(run_dir, monkeypatch,
                                                     capsys):
    import sar_mm  # noqa: F401
    from mmengine.logging import MMLogger
    from sar_mm.datasets import SemiSplitDataset
    monkeypatch.chdir(run_dir)
    lines = (run_dir / SPLIT_DIR / 'labeled.txt').read_text().splitlines()
    split = run_dir / 'repeated.txt'
    split.write_text('\n'.join(lines + [lines[0]]) + '\n')
    MMLogger.get_instance('repeat_test')
    dataset = SemiSplitDataset(
        dataset=dict(
            type='LTDigitScenes',
            data_root='data/lt_digit_scenes_tiny',
            num_train=24,
            num_val=6),
        split_file=str(split),
        pipeline=[])
    assert len(dataset) == len(lines) + 1  # kept: a warning, not an error
    out, err = capsys.readouterr()
    image = lines[0].split()[0]
    assert f'{image} on lines 1, {len(lines) + 1}' in out + err


def test_class_stats_counts_the_labelled_split_of_a_semi_config(
        run_dir):
    result = run_tool([
        'analysis_tools/class_stats.py', TINY_SEMI, '--out', 'semi.json',
        '--nproc', '1'
    ], run_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'counting its labelled split only' in result.stdout
    expected = np.zeros(11, np.int64)
    images = np.zeros(11, np.int64)
    labelled = (run_dir / SPLIT_DIR / 'labeled.txt').read_text().split('\n')
    for line in filter(None, labelled):
        mask = cv2.imread(
            str(run_dir / 'data/lt_digit_scenes_tiny' / line.split()[1]),
            cv2.IMREAD_UNCHANGED)
        counts = np.bincount(mask[mask != 255].ravel(), minlength=11)
        expected += counts
        images += counts > 0
    stats = json.loads((run_dir / 'semi.json').read_text())
    assert stats['pixel_counts'] == expected.tolist()
    assert stats['image_counts'] == images.tolist()
    assert stats['num_images'] == len(list(filter(None, labelled)))


def test_num_classes_error_names_the_segmentor_key(run_dir):
    result = run_tool([
        'train.py', TINY_SEMI, '--work-dir', 'wd_classes', '--cfg-options',
        'model.segmentor.decode_head.num_classes=5'
    ], run_dir)
    line = one_error_line(result)
    assert 'model.segmentor.decode_head.num_classes is 5' in line


@pytest.mark.parametrize('teacher', [[], ['--teacher']])
def test_plot_anchors_of_a_semi_checkpoint(teacher, run_dir):
    out = run_dir / f'anchors{len(teacher)}.png'
    result = run_tool([
        'analysis_tools/plot_anchors.py', SEMI_SAR, 'wd/iter_4.pth',
        '--kind', 'anchors', 'classifier', '--out', out, *teacher
    ], run_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'SAR projected anchors' in result.stdout
    with Image.open(out) as image:
        assert image.format == 'PNG'


def test_feature_geometry_and_plot_features_of_a_semi_checkpoint(
        run_dir):
    result = run_tool([
        'analysis_tools/feature_geometry.py', SEMI_SAR, 'wd/iter_4.pth',
        '--out', 'geometry', '--max-per-class', '20'
    ], run_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'anchors: SAR projected anchors' in result.stdout
    geometry = json.loads((run_dir / 'geometry/geometry.json').read_text())
    assert geometry  # written from the student's features
    result = run_tool([
        'analysis_tools/plot_features.py', SEMI_SAR, 'wd/iter_4.pth',
        '--out', 'features.png', '--method', 'pca', '--max-per-class', '20',
        '--teacher'
    ], run_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run_dir / 'features.png').stat().st_size > 1000


def test_student_and_teacher_are_the_analysed_parts():
    import sar_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    from sar_mm.analysis.cli import analysed_part
    from sar_mm.utils import UserInputError
    init_default_scope('mmseg')
    with_teacher = MODELS.build(Config.fromfile(SEMI_SAR).model)
    assert analysed_part(with_teacher, False, 'c') is with_teacher.student
    assert analysed_part(with_teacher, True, 'c') is with_teacher.teacher
    without = MODELS.build(Config.fromfile(TINY_SEMI).model)
    with pytest.raises(UserInputError, match='ema_teacher=True'):
        analysed_part(without, True, 'c')
    plain = without.student
    assert analysed_part(plain, False, 'c') is plain
    with pytest.raises(UserInputError, match='drop --teacher'):
        analysed_part(plain, True, 'c')


def test_branch_fields_are_compared_within_a_loader(run_dir, monkeypatch):
    """A split evaluated without MultiBranch (a val SemiSplitDataset) is
    no mismatch: only the samples of one loader share a batch."""
    import sar_mm  # noqa: F401
    from sar_mm.engine.launch import check_datasets, load_config
    config = write_config(
        run_dir, 'val_split.py', """
labelled = _base_.train_dataloader.dataset.datasets[0]
val_dataloader = dict(dataset=dict(
    labelled, _delete_=True, pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
""")
    monkeypatch.chdir(run_dir)
    check_datasets(load_config(str(config)))
