"""The fair start of benchmarks/semi_seg.py (``--start simclr``): the SimCLR
config pre-trains, on unlabelled scenes, exactly the backbone the
segmentation demos build, and every arm's config loads those weights, the
supervised and the semi-supervised ones alike."""
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from benchmarks.semi_seg import PRETRAIN_CONFIG, arm_config
from tests.utils import semi_seg_arm, training_batches


@pytest.fixture(scope='module')
def simclr_checkpoint(tmp_path_factory):
    """One SGD step of the pre-training config on 4 generated scenes,
    saved as the Runner saves it."""
    tmp = tmp_path_factory.mktemp('simclr')
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.num_train = 8
    [batch] = training_batches(cfg, tmp)
    # two views of each scene, at the FCN's crop size; no label is read
    assert [v.shape for v in batch['inputs']] == [(4, 3, 64, 64)] * 2
    assert not any('gt_label' in s for s in batch['data_samples'])
    # normalised as the segmentation demos normalise
    seg = Config.fromfile(arm_config('1_8', 'supervised')[0]).model
    assert cfg.data_preprocessor.mean == seg.data_preprocessor.mean
    assert cfg.data_preprocessor.std == seg.data_preprocessor.std
    assert cfg.data_preprocessor.to_rgb == seg.data_preprocessor.bgr_to_rgb
    init_default_scope('mmpretrain')
    # as the Runner builds it
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = revert_sync_batchnorm(PRETRAIN_MODELS.build(cfg.model))
    before = model.backbone.stem[0].weight.clone()
    losses = model.train_step(
        batch, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert torch.isfinite(losses['loss'])
    assert not torch.equal(model.backbone.stem[0].weight, before)
    path = tmp / 'epoch_100.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return path, model.backbone


def convolutions(backbone):
    return [(name, m.weight.shape, m.stride, m.dilation, m.padding)
            for name, m in backbone.named_modules()
            if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize('arm', ['supervised', 'supervised+sar', 'fixmatch',
                                 'fixmatch+lt+sar'])
def test_every_arm_starts_from_the_simclr_backbone(arm, simclr_checkpoint,
                                                   tmp_path):
    path, pretrained_backbone = simclr_checkpoint
    pretrained = pretrained_backbone.state_dict()
    init_default_scope('mmseg')
    model = SEG_MODELS.build(semi_seg_arm(arm, tmp_path, str(path)).model)
    model.init_weights()
    backbone = model.student.backbone if arm.startswith('fixmatch') \
        else model.backbone
    loaded = backbone.state_dict()
    # the same tensors
    assert loaded.keys() == pretrained.keys()
    for key, value in pretrained.items():
        assert torch.equal(loaded[key], value), key
    # pre-trained as it segments: the same strides, dilations and paddings
    assert convolutions(backbone) == convolutions(pretrained_backbone)


def test_scratch_arms_add_no_initialisation():
    assert arm_config('1_8', 'supervised')[1] == ''
    assert 'init_cfg' not in arm_config('1_4', 'fixmatch+sar')[1]
