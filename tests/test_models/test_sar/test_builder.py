"""The one SAR builder every adapter uses: same keys, defaults, errors."""
import pytest
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from sar_mm.models.sar import SemanticAnchorLoss, build_sar, sar_keys
from sar_mm.utils import UserInputError


def build(sar, registry=SEG_MODELS, semi=False):
    return build_sar(sar, registry, num_classes=5, feat_channels=8,
                     ignore_index=255, owner='TestAdapter', semi=semi)


def test_defaults_are_the_reference_setting():
    sar = build(None)
    assert type(sar) is SemanticAnchorLoss
    assert (sar.num_classes, sar.feat_channels) == (5, 8)
    assert (sar.pull_weight, sar.anchor_weight, sar.filter_conf,
            sar.update_conf, sar.momentum) == (0.1, 1.0, 0.9, 0.8, 0.999)
    assert sar.ignore_index == (255, )
    assert sar.unsup_pull_weight == 1.0
    assert build(dict()).momentum == 0.999


def test_user_values_and_ignore_index_override_the_adapter():
    sar = build(dict(pull_weight=0.5, ignore_index=[0, 255]),
                PRETRAIN_MODELS)
    assert sar.pull_weight == 0.5 and sar.ignore_index == (0, 255)


def test_valid_keys_are_the_core_arguments():
    assert sar_keys() == [
        'anchor_weight', 'filter_conf', 'ignore_index', 'momentum',
        'pull_weight', 'seed', 'unsup_conf_thresh', 'unsup_pull_weight',
        'update_conf'
    ]


def test_unlabelled_pull_weight_is_for_semi_supervised_adapters_only():
    assert build(dict(unsup_pull_weight=0.5),
                 semi=True).unsup_pull_weight == 0.5
    for key in ('unsup_pull_weight', 'unsup_conf_thresh'):
        with pytest.raises(UserInputError, match=rf'sar.{key} of '
                           r'TestAdapter sets the pull of unlabelled '
                           r'features.*remove it'):
            build({key: 0.5})
    assert build(dict(unsup_conf_thresh=0.95),
                 semi=True).unsup_conf_thresh == 0.95


@pytest.mark.parametrize('sar,match', [
    (dict(trade_off=0.1), r"unknown key\(s\) \['trade_off'\] in "
     r'sar=dict\(...\) of TestAdapter; valid keys: \[.anchor_weight'),
    (dict(num_classes=3), r'sar.num_classes of TestAdapter is not a SAR '
     r'setting: it comes from the classifier'),
    (dict(feat_channels=3), 'sar.feat_channels'),
    (dict(momentum=2), r'bad sar=dict\(...\) of TestAdapter: momentum must '
     r'be a number in \[0, 1\], got 2'),
    (dict(filter_conf=-0.1), 'filter_conf must be a number'),
    (dict(update_conf='0.8'), "update_conf must be a number in .*'0.8'"),
    (dict(pull_weight=-1), r'pull_weight must be a number in \[0, inf\]'),
    (dict(anchor_weight=True), 'anchor_weight must be a number'),
    (dict(ignore_index='255'), 'ignore_index must be an int'),
    (dict(seed=-1), 'seed must be a non-negative int or None, got -1'),
    (dict(seed=1.5), 'seed must be a non-negative int'),
    (dict(type='CrossEntropyLoss'), 'sar.type of TestAdapter must name '
     'SemanticAnchorLoss'),
    ([0.1], 'sar of TestAdapter must be a dict'),
])
def test_bad_input_is_one_user_error(sar, match):
    with pytest.raises(UserInputError, match=match) as info:
        build(sar)
    assert '\n' not in str(info.value)


def test_num_classes_below_two_is_refused():
    with pytest.raises(UserInputError, match='>= 2 classes'):
        build_sar(None, SEG_MODELS, num_classes=1, feat_channels=8,
                  ignore_index=255, owner='binary head')
