import torch
import torch.nn.functional as F

from sar_mm.models.utils import CosineLinear


def test_scaled_cosine_logits():
    layer = CosineLinear(8, 5, scale=30.)
    assert layer.weight.shape == (5, 8)
    # initialised with unit-norm class vectors, as the reference
    assert torch.allclose(layer.weight.norm(dim=1), torch.ones(5))
    x = torch.randn(4, 8)
    expected = 30 * F.cosine_similarity(
        x[:, None], layer.weight[None], dim=-1)
    assert torch.allclose(layer(x), expected, atol=1e-5)
    # invariant to the scale of inputs and weights
    with torch.no_grad():
        layer.weight.mul_(3.)
    assert torch.allclose(layer(x * 7.), expected, atol=1e-5)
