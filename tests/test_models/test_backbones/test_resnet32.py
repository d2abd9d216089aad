import pytest
import torch
from mmpretrain.registry import MODELS


def test_structure():
    model = MODELS.build(dict(type='ResNet32', out_indices=(0, 1, 2)))
    model.init_weights()
    # the stem and 30 block convolutions (+ the classifier: 32 layers) and
    # 0.46M parameters (He et al. 2016, table 6)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 31
    assert sum(p.numel() for p in model.parameters()) == 463504
    outs = model(torch.randn(2, 3, 32, 32))
    assert [o.shape for o in outs] == [(2, 16, 32, 32), (2, 32, 16, 16),
                                       (2, 64, 8, 8)]


def test_identity_shortcut_where_shapes_change():
    """Option A: subsampling and zero channels, no parameters."""
    model = MODELS.build(dict(type='ResNet32'))
    block = model.stages[1][0]
    x = torch.randn(1, 16, 8, 8)
    shortcut = block.shortcut(x)
    assert shortcut.shape == (1, 32, 4, 4)
    assert torch.equal(shortcut[:, 8:24], x[:, :, ::2, ::2])
    assert shortcut[:, :8].abs().sum() == 0


def test_bad_out_indices():
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(dict(type='ResNet32', out_indices=(3, )))
