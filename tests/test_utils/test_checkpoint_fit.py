"""A checkpoint fits a model only with every key and shape."""
import pytest
import torch
from mmpretrain.registry import MODELS
from torch import nn

from sar_mm.utils import CheckpointMismatchError, check_state_dict
from sar_mm.utils.checkpoint_fit import state_dict_of


def test_exact_keys_and_shapes_fit():
    model = nn.Linear(3, 2)
    check_state_dict(model, model.state_dict(), 'ok.pth', 'cfg.py')


def test_each_kind_of_mismatch_is_named():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    state = {
        '0.weight': torch.zeros(5, 3),  # shape
        '0.bias': torch.zeros(2),
        'extra': torch.zeros(1),  # unexpected
    }  # 1.weight, 1.bias missing
    with pytest.raises(CheckpointMismatchError) as err:
        check_state_dict(model, state, 'other.pth', 'cfg.py')
    assert str(err.value) == (
        'checkpoint other.pth does not match the model of cfg.py: 2 missing '
        'key(s) (in the model, not in the checkpoint): 1.weight, 1.bias; 1 '
        'unexpected key(s) (in the checkpoint, not in the model): extra; 1 '
        'shape mismatch(es): 0.weight (checkpoint (5, 3), model (2, 3)). '
        'Use the config the checkpoint was trained with.')


def test_training_only_state_fits_the_plain_model():
    """SAR's and an EMA teacher's entries (training state of sar_mm's
    models) fit a model without them; the model's own keys still must."""
    model = nn.Linear(3, 2)
    state = dict(model.state_dict(), **{
        'sar.semantic_anchors': torch.zeros(2, 3),
        'head.sar.projector.0.0.weight': torch.zeros(3, 3),
        'teacher.weight': torch.zeros(2, 3),
        'pseudo_labeler.class_counts': torch.zeros(0)})
    check_state_dict(model, state, 'semi.pth', 'plain.py')
    del state['bias']
    # not SAR's or a teacher's entries
    state['sarcasm'] = torch.zeros(1)
    state['head.nosar.weight'] = torch.zeros(1)
    state['head.teacher.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError) as err:
        check_state_dict(model, state, 'semi.pth', 'plain.py')
    assert 'missing key(s) (in the model, not in the checkpoint): bias;' in \
        str(err.value)
    assert 'unexpected key(s) (in the checkpoint, not in the model): ' \
        'sarcasm, head.nosar.weight, head.teacher.weight.' in str(err.value)


def test_an_empty_buffer_takes_the_checkpoints_size():
    """Class counts are set by a hook before training; a fresh model holds
    an empty buffer that loading resizes (ClassCountsMixin)."""
    trained = MODELS.build(dict(type='LogitAdjustCELoss'))
    trained.set_class_counts([5, 3, 1])
    fresh = MODELS.build(dict(type='LogitAdjustCELoss'))
    assert fresh.class_counts.shape == (0, )
    check_state_dict(fresh, trained.state_dict(), 'la.pth', 'cfg.py')
    fresh.load_state_dict(trained.state_dict())
    assert fresh.class_counts.tolist() == [5, 3, 1]


def test_state_dict_of_a_checkpoint():
    weights = {'module.w': torch.ones(1), 'b': torch.zeros(1)}
    assert state_dict_of(dict(state_dict=weights, meta={}), 'x') == {
        'w': torch.ones(1), 'b': torch.zeros(1)}
    assert state_dict_of(weights, 'x').keys() == {'w', 'b'}
    for bad in (torch.zeros(1), dict(state_dict=dict(a='text'))):
        with pytest.raises(CheckpointMismatchError, match='x'):
            state_dict_of(bad, 'x')
