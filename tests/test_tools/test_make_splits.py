"""tools/dataset_converters/make_splits.py on the tiny built-in scenes (24
train scenes, 11 classes): sizes, seeds, nesting, stratification, the
files SemiSplitDataset reads, and one-line refusals. All in this process."""
import cv2
import numpy as np
import pytest

from sar_mm.datasets import LTDigitScenes
from tests.utils import TEST_CONFIGS, TINY_SEMI, one_error_line, run_tool

TOOL = 'dataset_converters/make_splits.py'
SCENES = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'
ROOT = 'data/lt_digit_scenes_tiny'


@pytest.fixture(scope='module')
def cwd(tmp_path_factory):
    """A directory with the tiny scenes generated in it."""
    import sar_mm  # noqa: F401
    from sar_mm.datasets import LTDigitScenes
    path = tmp_path_factory.mktemp('splits')
    LTDigitScenes(data_root=str(path / ROOT), num_train=24, num_val=6,
                  lazy_init=True)
    return path


@pytest.fixture
def make(cwd):
    def run(*args, config=SCENES):
        return run_tool([TOOL, config, *args], cwd)
    return run


def read(path):
    return path.read_text().splitlines()


def all_scenes(cwd):
    return sorted(f'img_dir/train/{p.name} ann_dir/train/{p.name}'
                  for p in (cwd / ROOT / 'img_dir/train').iterdir())


def test_fraction_writes_a_disjoint_cover(make, cwd):
    result = make('--out', 'a', '--fraction', '0.125', '0.3')
    assert result.returncode == 0, result.stderr
    for name, count in (('1_8', 3), ('0.3', 7)):  # int(24 * f)
        labelled = read(cwd / 'a' / name / 'labeled.txt')
        unlabelled = read(cwd / 'a' / name / 'unlabeled.txt')
        assert len(labelled) == count
        assert sorted(labelled + unlabelled) == all_scenes(cwd)
        assert labelled == sorted(labelled)
    assert 'a/1_8: 3 labelled, 21 unlabelled' in result.stdout


def test_count_seed_and_nesting(make, cwd):
    assert make('--out', 'b', '--count', '4', '12').returncode == 0
    assert make('--out', 'c', '--count', '12').returncode == 0
    assert make('--out', 'd', '--count', '12', '--seed',
                '1').returncode == 0
    small = set(read(cwd / 'b/4/labeled.txt'))
    large = read(cwd / 'b/12/labeled.txt')
    assert small < set(large)  # the smaller split inside the larger
    assert read(cwd / 'c/12/labeled.txt') == large  # same seed, same draw
    assert read(cwd / 'd/12/labeled.txt') != large


def mask_classes(cwd, lines):
    """The class values of the masks of some split lines."""
    found = set()
    for line in lines:
        mask = cv2.imread(str(cwd / ROOT / line.split()[1]),
                          cv2.IMREAD_UNCHANGED)
        found |= set(np.unique(mask).tolist()) - {255}
    return found


def test_stratified_labels_every_class_present(make, cwd):
    result = make('--out', 'e', '--count', '6', '--stratified')
    assert result.returncode == 0, result.stderr
    assert 'labels no sample' not in result.stdout
    labelled = read(cwd / 'e/6/labeled.txt')
    assert len(labelled) == 6
    assert mask_classes(cwd, labelled) == mask_classes(cwd, all_scenes(cwd))
    # the same seed without --stratified draws 6 scenes missing a class,
    # so the stratification is what covers them; the tool names them
    result = make('--out', 'f', '--count', '6')
    assert result.returncode == 0, result.stderr
    missed = mask_classes(cwd, all_scenes(cwd)) - mask_classes(
        cwd, read(cwd / 'f/6/labeled.txt'))
    assert missed
    names = [LTDigitScenes.METAINFO['classes'][c] for c in sorted(missed)]
    assert (f'WARNING: f/6 labels no sample of class(es) {names}: '
            f'semi-supervised training gets no label of them. To label '
            f'every class, make the split with `python tools/'
            f'dataset_converters/make_splits.py --stratified`') \
        in result.stdout


def test_semi_config_and_semi_split_dataset_read_the_files(make, cwd,
                                                           monkeypatch):
    assert make('--out', 'g', '--fraction', '0.25',
                config=TINY_SEMI).returncode == 0
    from sar_mm.datasets import SemiSplitDataset
    monkeypatch.chdir(cwd)
    dataset = SemiSplitDataset(
        dataset=dict(type='LTDigitScenes', data_root=ROOT, num_train=24,
                     num_val=6),
        split_file='g/1_4/unlabeled.txt',
        labelled=False,
        pipeline=[])
    assert len(dataset) == 18
    assert all(info['img_path'].startswith(ROOT)
               for info in dataset.load_data_list())


@pytest.mark.parametrize('fraction', ['0', '1', '1.5', '-0.1'])
def test_fraction_out_of_range(make, fraction):
    line = one_error_line(make('--out', 'x', '--fraction', fraction))
    assert '--fraction must be in (0, 1)' in line


def test_count_leaving_no_unlabelled_sample(make):
    line = one_error_line(make('--out', 'x', '--count', '24'))
    assert 'ask for 1 to 23' in line


def test_existing_output_needs_force(make, cwd):
    assert make('--out', 'h', '--count', '5').returncode == 0
    before = read(cwd / 'h/5/labeled.txt')
    line = one_error_line(make('--out', 'h', '--count', '5', '--seed', '3'))
    assert 'h/5/labeled.txt exists' in line and '--force' in line
    assert read(cwd / 'h/5/labeled.txt') == before  # nothing overwritten
    assert make('--out', 'h', '--count', '5', '--seed', '3',
                '--force').returncode == 0
    assert read(cwd / 'h/5/labeled.txt') != before


def test_stratified_needs_room_for_every_class(make):
    line = one_error_line(make('--out', 'x', '--count', '1', '--stratified'))
    assert '--stratified needs' in line and 'drop --stratified' in line


def test_empty_dataset(make, cwd):
    (cwd / 'empty/img').mkdir(parents=True)
    (cwd / 'empty/ann').mkdir()
    config = cwd / 'empty.py'
    config.write_text(
        "_base_ = ['mmseg::_base_/default_runtime.py']\n"
        "train_dataloader = dict(dataset=dict(type='BaseSegDataset', "
        "data_root='empty', data_prefix=dict(img_path='img', "
        "seg_map_path='ann'), metainfo=dict(classes=('a', 'b'))))\n")
    line = one_error_line(make('--out', 'x', '--count', '1', config=config))
    assert 'is empty' in line


def test_colour_masks_are_refused(make, cwd):
    """As training refuses them: the masks are read through the same
    check (a colour mask's channel values would be counted as labels)."""
    for sub in ('rgb/img', 'rgb/ann'):
        (cwd / sub).mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(cwd / f'rgb/img/{i}.png'), np.zeros((4, 5, 3),
                                                          np.uint8))
        cv2.imwrite(str(cwd / f'rgb/ann/{i}.png'), np.full((4, 5, 3), i,
                                                         np.uint8))
    config = cwd / 'rgb.py'
    config.write_text(
        "_base_ = ['mmseg::_base_/default_runtime.py']\n"
        "train_dataloader = dict(dataset=dict(type='BaseSegDataset', "
        "data_root='rgb', data_prefix=dict(img_path='img', "
        "seg_map_path='ann'), img_suffix='.png', metainfo=dict(classes=("
        "'a', 'b', 'c'))))\n")
    line = one_error_line(make('--out', 'x', '--count', '1', config=config))
    assert 'rgb/ann/0.png has shape (4, 5, 3) (RGB image), but a mask ' \
        'must be single-channel' in line
    assert line.endswith('(3 of 3 masks of train_dataloader.dataset fail '
                         'this check.)')
    assert not (cwd / 'x').exists()


def test_classification_config_is_refused(make):
    line = one_error_line(
        make('--out', 'x', '--count', '1',
             config=TEST_CONFIGS / 'resnet_tiny_lt-digits.py'))
    assert 'PerClassSplitDataset' in line
