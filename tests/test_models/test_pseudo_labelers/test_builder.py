from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from sar_mm.engine.hooks import ClassCountsHook
from sar_mm.models.pseudo_labelers import (DistributionMatching,
                                           FixedThreshold, FlexMatchThreshold,
                                           build_pseudo_labeler,
                                           pseudo_labeler_keys)
from sar_mm.models.utils import ClassCountsMixin
from sar_mm.utils.class_stats import STRATIFIED_FIX
from sar_mm.utils.errors import UserInputError


def build(cfg, registry=SEG_MODELS, **kwargs):
    return build_pseudo_labeler(
        cfg, registry, num_classes=3, owner='FixMatchSegmentor', **kwargs)


def one_line(cfg, **kwargs):
    with pytest.raises(UserInputError) as err:
        build(cfg, **kwargs)
    message = str(err.value)
    assert '\n' not in message
    return message


def test_default_is_fixmatchs_fixed_threshold():
    module = build(None)
    assert type(module) is FixedThreshold and module.threshold == 0.95
    assert build(dict(threshold=0.7)).threshold == 0.7


@pytest.mark.parametrize('registry', [SEG_MODELS, PRETRAIN_MODELS])
def test_builds_from_either_registry(registry):
    module = build(dict(type='FlexMatchThreshold', momentum=0.9), registry)
    assert type(module) is FlexMatchThreshold and module.momentum == 0.9


def test_class_counts_from_the_caller_unless_configured():
    assert build(dict(type='DistributionMatching'),
                 class_counts=[5, 3, 1]).class_counts.tolist() == [5, 3, 1]
    assert build(dict(type='DistributionMatching', class_counts=[1, 1, 1]),
                 class_counts=[5, 3, 1]).class_counts.tolist() == [1, 1, 1]
    # strategies without class_counts do not get them
    assert not build(None, class_counts=[5, 3, 1]).has_class_counts


def test_unknown_type():
    assert one_line(dict(type='SoftMatch')) == (
        "unknown pseudo_label type 'SoftMatch' of FixMatchSegmentor; "
        "strategies registered in mmseg: ['AdaptiveEqualization', "
        "'DistributionMatching', "
        "'FixedThreshold', 'FlexMatchThreshold', 'FreeMatchThreshold']")
    # a registered model that is not a strategy
    assert 'unknown pseudo_label type' in one_line(dict(type='FCNHead'))


def test_unknown_key():
    assert one_line(dict(type='FreeMatchThreshold', threshold=0.9)) == (
        "unknown key(s) ['threshold'] in pseudo_label=dict("
        "type='FreeMatchThreshold') of FixMatchSegmentor; valid keys: "
        "['class_counts', 'momentum', 'prior_norm']")
    assert pseudo_labeler_keys(FixedThreshold) == ['threshold']


def test_num_classes_comes_from_the_model():
    assert one_line(dict(num_classes=4)) == (
        'pseudo_label.num_classes of FixMatchSegmentor is set by the model; '
        "remove it from pseudo_label=dict(type='FixedThreshold', ...)")


def test_not_a_dict():
    assert one_line(0.95) == (
        'pseudo_label of FixMatchSegmentor must be a dict such as '
        "pseudo_label=dict(type='FixedThreshold'), got float 0.95")


@pytest.mark.parametrize('cfg,message', [
    (dict(threshold=1.5), "threshold must be a number in [0, 1], got 1.5"),
    (dict(type='FlexMatchThreshold', threshold=-0.1),
     'threshold must be a number in [0, 1], got -0.1'),
    (dict(type='FlexMatchThreshold', momentum=2),
     'momentum must be a number in [0, 1], got 2'),
    (dict(type='FreeMatchThreshold', momentum='0.9'),
     "momentum must be a number in [0, 1], got '0.9'"),
    (dict(type='DistributionMatching', class_counts=[1, 1, 1], ratio=True),
     'ratio must be a number in [0, 1], got True'),
    (dict(type='DistributionMatching', class_counts=[1, 1, 1],
          sampling='bernoulli'),
     "sampling must be one of ['random', 'weight', 'none'], got "
     "'bernoulli'"),
    # a class without labelled examples is allowed (never pseudo-labelled),
    # but not a prior with fewer than 2 classes, nor a negative count
    (dict(type='DistributionMatching', class_counts=[1, 0, 0]),
     'DistributionMatching needs a training count >= 0 per class, at least '
     '2 of them positive, got [1.0, 0.0, 0.0]. Class(es) [1, 2] have no '
     f'labelled training sample; for a semi-supervised split, '
     f'{STRATIFIED_FIX}; else train on a set that holds every class.'),
    (dict(type='FlexMatchThreshold', prior_norm=True,
          class_counts=[2, -1, 1]),
     'FlexMatchThreshold needs a training count >= 0 per class, at least '
     '2 of them positive, got [2.0, -1.0, 1.0].'),
])
def test_bad_values(cfg, message):
    name = cfg.get('type', 'FixedThreshold')
    assert one_line(cfg) == (
        f"bad pseudo_label=dict(type='{name}') of FixMatchSegmentor: "
        f'{message}')


def test_distribution_matching_without_class_counts():
    module = build(dict(type='DistributionMatching'))
    with pytest.raises(UserInputError) as err:
        module(torch.full((2, 3), 1 / 3))
    assert str(err.value) == (
        "DistributionMatching has no class counts. Set "
        "pseudo_label=dict(type='DistributionMatching', class_counts=[...]) "
        "(labelled pixels per class for segmentation), or train with "
        "ClassCountsHook on a dataset whose metainfo has class_counts.")
    assert module.needs_class_counts  # so ClassCountsHook insists too
    module = DistributionMatching(4, class_counts=[3, 2, 1])
    with pytest.raises(UserInputError, match='holds counts for 3 classes '
                       'but the classifier has 4'):
        module.thresholds()


def test_prior_norm_without_class_counts():
    module = build(dict(type='FreeMatchThreshold', prior_norm=True))
    with pytest.raises(UserInputError,
                       match='FreeMatchThreshold has no class counts'):
        module.train()(torch.full((2, 3), 1 / 3))


def test_shapes_are_checked():
    module = build(None)
    with pytest.raises(ValueError, match=r'takes probabilities of shape '
                       r'\(N, C, ...\) with C = num_classes = 3, got '
                       r'\(2, 4\)'):
        module(torch.rand(2, 4))
    with pytest.raises(ValueError, match=r'valid must be a bool mask of '
                       r'shape \(2, 5\)'):
        module(torch.rand(2, 3, 5), torch.ones(2, 5))


def test_class_counts_hook_can_give_the_counts_later():
    """Strategies are ClassCountsMixin modules: ClassCountsHook finds them
    in the model and calls set_class_counts before training."""
    module = build(dict(type='DistributionMatching', sampling='none'))
    assert isinstance(module, ClassCountsMixin)
    module.set_class_counts([6, 3, 1])
    out = module.train()(torch.eye(3)[None].repeat(10, 1, 1).flatten(0, 1))
    # 30 one-hot positions, 10 per class; quotas 0.5 * (0.6, 0.3, 0.1) * 30
    # = (9, 4.5, 1.5): ties in one bin, all of each class kept
    assert module.cut()[1].tolist() == pytest.approx([0.9, 0.45, 0.15])
    assert out.keep.all()


@pytest.mark.parametrize('metainfo,configured,expected', [
    (dict(class_counts=[6, 3, 1]), None, [6., 3., 1.]),
    (dict(class_counts=[6, 3, 1]), [1, 1, 1], [6., 3., 1.]),
    (dict(), [5, 4, 1], [5., 4., 1.]),
])
def test_class_counts_hook_before_training(metainfo, configured, expected):
    """The dataset's counts win; configured counts serve a dataset without
    any (segmentation) instead of stopping the run."""
    module = build(dict(type='DistributionMatching', class_counts=configured))
    runner = SimpleNamespace(
        hooks=[],
        model=nn.ModuleDict(dict(pseudo_label=module)),
        train_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(metainfo=metainfo)))
    ClassCountsHook().before_train(runner)
    assert module.class_counts.tolist() == expected


def test_class_counts_hook_stops_without_any_counts():
    runner = SimpleNamespace(
        hooks=[],
        model=nn.ModuleDict(dict(
            pseudo_label=build(dict(type='DistributionMatching')))),
        train_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(metainfo={})))
    with pytest.raises(UserInputError, match='DistributionMatching need'):
        ClassCountsHook().before_train(runner)
