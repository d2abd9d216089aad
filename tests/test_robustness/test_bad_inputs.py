"""The bad inputs users actually produce, through the tools: each gives one
clear line naming the problem (no traceback, no device-side assert, no
silent garbage), and nothing already in the work dir is lost."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from sar_mm.datasets import LTDigitScenes
from sar_mm.engine.hooks import DataCheckHook
from sar_mm.utils import UserInputError
from tests.test_compat.test_checkpoint import write_malicious_checkpoint
from tests.utils import REPO, TEST_CONFIGS, one_error_line, run_tool

pytestmark = pytest.mark.slow
TINY = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'
TINY_SAR = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py'
TINY_SAR_LT = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar_lt.py'
DATA = 'data/lt_digit_scenes_tiny'


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp('scenes') / 'tiny'
    LTDigitScenes(data_root=str(root), num_train=24, num_val=6)
    return root


@pytest.fixture
def cwd(tmp_path, pristine):
    """A fresh working dir holding its own copy of the tiny scenes."""
    shutil.copytree(pristine, tmp_path / DATA)
    return tmp_path


def ann(cwd, index=3, split='train'):
    return cwd / DATA / 'ann_dir' / split / f'{split}_{index:05d}.png'


def train(cwd, *args, config=TINY, subprocess_=False):
    return run_tool(['train.py', config, '--work-dir', 'wd', *args], cwd,
                    subprocess_=subprocess_)


def test_missing_data_root(cwd):
    # a real process: exit status 1 and no traceback as the shell sees them
    error = one_error_line(
        train(cwd, '--cfg-options',
              'train_dataloader.dataset.type=ADE20KDataset',
              'train_dataloader.dataset.data_root=data/ade/missing',
              subprocess_=True))
    assert "data_root 'data/ade/missing'" in error
    assert 'Preparing datasets' in error


def test_every_missing_data_root_is_named_at_once(cwd):
    loaders = ('train', 'val', 'test')
    options = [f'{loader}_dataloader.dataset.{key}' for loader in loaders
               for key in ('type=ADE20KDataset',
                           f'data_root=data/{loader}_missing')]
    error = one_error_line(train(cwd, '--cfg-options', *options))
    for loader in loaders:
        assert (f"'data/{loader}_missing' of {loader}_dataloader.dataset "
                f'(ADE20KDataset)') in error
    assert error.endswith(' '.join(
        f'{loader}_dataloader.dataset.data_root=PATH' for loader in loaders))


def test_wrong_num_classes(cwd):
    error = one_error_line(
        train(cwd, '--cfg-options', 'model.decode_head.num_classes=19'))
    assert ('model.decode_head.num_classes is 19 but the train dataset '
            '(LTDigitScenes) has 11 classes') in error
    assert not list((cwd / 'wd').glob('iter_*.pth'))


@pytest.mark.parametrize(
    'config', [TINY, TINY_SAR, TINY_SAR_LT],
    ids=['fcn', 'sar', 'sar+sampler+cbce'])
def test_label_value_out_of_range(cwd, config):
    """Checked once, on the CPU batch (DataCheckHook): the modules of the
    step (SAR, the sampler, the class-balanced loss) check nothing on the
    device."""
    label = cv2.imread(str(ann(cwd)), cv2.IMREAD_UNCHANGED)
    label[10:20, 10:20] = 50
    cv2.imwrite(str(ann(cwd)), label)
    error = one_error_line(train(cwd, config=config))
    assert 'label value(s) [50]' in error
    assert 'neither a class in [0, 11)' in error


def test_rgb_label_map_must_be_single_channel(cwd):
    label = cv2.imread(str(ann(cwd)), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(ann(cwd)), np.stack([label] * 3, axis=-1))
    error = one_error_line(train(cwd, '--cfg-options',
                                 'train_dataloader.batch_size=24'))
    assert 'train_00003.png has shape (64, 64, 3)' in error
    assert 'must be single-channel' in error
    assert 'size' not in error


def test_stray_val_labels_are_counted_in_a_warning(cwd):
    """IoUMetric (and LTIoUMetric) leave label values that are neither a
    class nor ignored out of the IoU without a word; the run says how
    many there are."""
    for index, box in ((1, (5, 15)), (4, (0, 4))):
        label = cv2.imread(str(ann(cwd, index, 'val')), cv2.IMREAD_UNCHANGED)
        label[box[0]:box[1], box[0]:box[1]] = 40 + index
        cv2.imwrite(str(ann(cwd, index, 'val')), label)
    result = train(cwd, '--cfg-options', 'train_cfg.max_iters=2',
                   'train_cfg.val_interval=2', 'val_evaluator.type=IoUMetric',
                   'val_evaluator.stats_file=None')
    assert result.returncode == 0, result.stderr[-3000:]
    assert ('the val ground truth holds 116 pixel(s) in 2 label map(s) with '
            'value(s) [41, 44], neither a class in [0, 11) nor the ignore '
            'index') in result.stdout + result.stderr


def test_empty_dataset(cwd):
    for png in (cwd / DATA / 'img_dir' / 'train').glob('*.png'):
        png.unlink()
    error = one_error_line(train(cwd))
    assert 'train_dataloader.dataset (LTDigitScenes) is empty' in error


def test_image_without_annotation(cwd):
    ann(cwd, 5).unlink()
    error = one_error_line(train(cwd))
    assert '1 image(s) of train_dataloader.dataset' in error
    assert 'train_00005.png' in error


def test_label_and_image_sizes_differ(cwd):
    cv2.imwrite(str(ann(cwd, 2)), np.zeros((32, 48), np.uint8))
    error = one_error_line(train(cwd, '--cfg-options',
                                 'train_dataloader.batch_size=24'))
    assert 'train_00002.png' in error
    assert 'must have the same size' in error


def test_nan_in_inputs_is_named(cwd, monkeypatch):
    cfg = Config.fromfile(str(TINY))
    cfg.work_dir = str(cwd / 'wd')
    monkeypatch.chdir(cwd)  # the Runner reads the scenes from here
    runner = Runner.from_cfg(cfg)
    image = torch.rand(3, 64, 64)
    image[0, 3, 3] = float('nan')
    sample = SegDataSample(
        gt_sem_seg=PixelData(data=torch.zeros(1, 64, 64, dtype=torch.long)),
        metainfo=dict(img_path='scene_with_nan.tiff'))
    with pytest.raises(UserInputError, match='scene_with_nan.tiff holds NaN'):
        DataCheckHook().before_train_iter(
            runner, 0, dict(inputs=[image], data_samples=[sample]))


def test_diverging_loss_stops_and_keeps_checkpoints(cwd):
    error = one_error_line(
        train(cwd, '--cfg-options', 'optim_wrapper.optimizer.lr=1e30',
              'train_cfg.max_iters=8', 'default_hooks.checkpoint.interval=1'))
    assert 'non-finite loss at iteration' in error
    saved = sorted((cwd / 'wd').glob('iter_*.pth'))
    assert saved, 'the iterations before the divergence were not saved'
    for ckpt in saved:
        torch.load(ckpt, weights_only=False)  # complete, loadable files


# (an unknown sar key: test_sar_segmentor.py and test_sar_builder.py; the
# tool's one line for a bad sar=dict: test_bad_sar_values)
@pytest.mark.parametrize('option,says', [
    ('model.sar.momentum=2', 'bad sar=dict(...) of SAREncoderDecoder '
     '(FCNHead): momentum'),
    ('model.sar.num_classes=5', 'sar.num_classes of SAREncoderDecoder '
     '(FCNHead) is not a SAR setting: it comes from the classifier'),
])
def test_bad_sar_values(cwd, option, says):
    assert says in one_error_line(
        train(cwd, '--cfg-options', option, config=TINY_SAR))


def test_failed_run_loses_nothing(cwd):
    assert train(cwd).returncode == 0
    wd = cwd / 'wd'
    last = (wd / 'last_checkpoint').read_text()
    # mmengine re-dumps wd/<config>.py for every run, by design; the first
    # run's copy stays in its timestamped folder, compared below
    before = {
        p: p.read_bytes()
        for p in wd.rglob('*') if p.is_file() and p.parent != wd or
        p.suffix == '.pth'
    }
    one_error_line(
        train(cwd, '--resume', '--cfg-options',
              'model.decode_head.num_classes=19', 'train_cfg.max_iters=12'))
    assert (wd / 'last_checkpoint').read_text() == last
    for path, content in before.items():
        assert path.read_bytes() == content, path


@pytest.mark.parametrize('kind',
                         ['missing', 'corrupt', 'malicious', 'text', 'other'])
def test_test_tool_bad_checkpoints(cwd, kind):
    ckpt, marker = cwd / f'{kind}.pth', cwd / 'payload_ran'
    if kind == 'corrupt':
        torch.save(dict(state_dict={'w': torch.zeros(10000)}), ckpt)
        ckpt.write_bytes(ckpt.read_bytes()[:300])
    elif kind == 'malicious':
        write_malicious_checkpoint(ckpt, marker)
    elif kind == 'text':
        ckpt.write_text('iter 8: mIoU 12.3\n')
    elif kind == 'other':
        # the weights of another model (wider decode head)
        cfg = Config.fromfile(str(TINY))
        cfg.model.decode_head.channels = 32
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()),
                   ckpt)
    # one real process for tools/test.py's exit status and stderr
    error = one_error_line(run_tool(['test.py', TINY, ckpt], cwd,
                                    subprocess_=kind == 'missing'))
    assert str(ckpt) in error
    assert dict(
        missing='not found',
        corrupt='corrupt or truncated (PytorchStreamReader failed reading '
        'zip archive: failed finding central directory); copy or save it '
        'again.',
        malicious='refused to load',
        text='is not a PyTorch checkpoint',
        other='does not match the model of')[kind] in error
    if kind == 'other':
        assert 'shape mismatch(es): decode_head.conv_seg.weight ' \
            '(checkpoint (11, 32, 1, 1), model (11, 64, 1, 1))' in error
    assert not marker.exists()


def test_test_tool_unpickles_a_checkpoint_only_when_trusted(cwd):
    """--trust-checkpoint FILE: that file is unpickled in full (here its
    payload runs, proving it); the same call without it refuses."""
    ckpt, marker = cwd / 'old_format.pth', cwd / 'payload_ran'
    write_malicious_checkpoint(ckpt, marker)
    one_error_line(run_tool(['test.py', TINY, ckpt], cwd))
    assert not marker.exists()
    result = run_tool(['test.py', TINY, ckpt, '--trust-checkpoint', ckpt],
                      cwd)
    assert marker.exists()
    assert 'refused' not in result.stderr


@pytest.mark.parametrize('path', ['resume', 'load_from'])
def test_train_refuses_malicious_checkpoints(cwd, path):
    marker = cwd / 'payload_ran'
    evil = cwd / 'wd' / 'iter_4.pth'
    evil.parent.mkdir()
    write_malicious_checkpoint(evil, marker)
    if path == 'resume':
        (cwd / 'wd' / 'last_checkpoint').write_text(str(evil))
        result = train(cwd, '--resume')
    else:
        result = train(cwd, '--cfg-options', f'load_from={evil}')
    assert 'refused to load' in one_error_line(result)
    assert not marker.exists()


def test_interrupted_save_leaves_the_old_file(tmp_path):
    """Kill a process while it writes a 400 MB checkpoint over an old one:
    the target is still the complete old file, never a truncated one."""
    target = tmp_path / 'iter_8.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(3))), target)
    old = target.read_bytes()
    writer = subprocess.Popen([
        sys.executable, '-c',
        textwrap.dedent(f"""
            import sar_mm, torch
            from mmengine.runner.checkpoint import save_checkpoint
            save_checkpoint(dict(w=torch.zeros(100_000_000)), {str(target)!r})
        """)
    ], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    deadline = time.time() + 120
    while not list(tmp_path.glob('.iter_8.pth.tmp-*')):
        assert writer.poll() is None, 'the save finished before the kill'
        assert time.time() < deadline
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert target.read_bytes() == old
    assert torch.equal(
        torch.load(target, weights_only=True)['state_dict']['w'],
        torch.ones(3))


BCL_DEMO = REPO / 'configs' / 'demo' / 'bcl_lt-digits.py'


@pytest.mark.parametrize('mistake', ['pseudo_collate', 'single_view'])
def test_bcl_says_what_its_batches_need(tmp_path, mistake):
    config = tmp_path / 'bcl.py'
    if mistake == 'pseudo_collate':
        config.write_text(
            f"_base_ = ['{BCL_DEMO}']\n"
            'train_dataloader = dict(\n'
            "    collate_fn=dict(type='pseudo_collate'))\n")
        says = 'one entry per image, as the default pseudo_collate'
    else:
        config.write_text(
            f"_base_ = ['{BCL_DEMO}']\n"
            'train_dataloader = dict(\n'
            '    dataset=dict(pipeline=_base_.train_pipeline))\n')
        says = 'one view per image (a single-view training pipeline)'
    error = one_error_line(
        run_tool(['train.py', config, '--work-dir', 'wd'], tmp_path))
    assert says in error
    assert ("MultiView transform in the training pipeline" in error and
            "collate_fn=dict(type='default_collate')" in error)


def test_lt_digits_in_a_cifar_config_needs_no_data_root(tmp_path):
    """The CIFAR config's data_root (data/cifar10, absent here) is not
    used by LTDigits and must not stop the run."""
    cifar = REPO / 'configs' / 'ce' / 'ce_resnet32_1xb256_cifar10-lt-r100.py'
    config = tmp_path / 'digits.py'
    config.write_text(textwrap.dedent(f"""
        _base_ = ['{cifar}']
        loader = dict(batch_size=16, num_workers=0, persistent_workers=False)
        train_dataloader = dict(loader, dataset=dict(type='LTDigits'))
        val_dataloader = dict(
            loader,
            dataset=dict(type='LTDigits', split='test', test_per_class=2))
        test_dataloader = val_dataloader
        train_cfg = dict(max_epochs=1)
        """))
    result = run_tool(['train.py', config, '--work-dir', 'wd'], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / 'data').exists()
    assert (tmp_path / 'wd' / 'epoch_1.pth').is_file()


def test_class_stats_on_a_classification_config(tmp_path):
    config = REPO / 'configs' / 'demo' / 'ce_lt-digits.py'
    error = one_error_line(
        run_tool(['analysis_tools/class_stats.py', config, '--out',
                  'stats.json'], tmp_path))
    assert error == (
        f'ERROR: class_stats.py counts the pixels of segmentation label '
        f"maps, for mmseg configs; {config} has default_scope='mmpretrain'. A "
        f'classification dataset of sar_mm carries its per-class image '
        f"counts in its metainfo ('class_counts'), which LTAccuracy and the "
        f'analysis tools read: there is nothing to count for it.')
