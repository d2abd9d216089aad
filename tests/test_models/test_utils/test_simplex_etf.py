import pytest
import torch

from sar_mm.models.losses import GHLoss
from sar_mm.models.utils import simplex_etf
from sar_mm.utils import UserInputError


@pytest.mark.parametrize('num_vertices, dim', [(2, 1), (10, 128), (100, 128),
                                               (129, 128), (5, 4)])
def test_unit_rows_and_equal_negative_cosines(num_vertices, dim):
    frame = simplex_etf(num_vertices, dim)
    assert frame.shape == (num_vertices, dim)
    assert frame.dtype == torch.float32
    frame = frame.double()
    gram = frame @ frame.t()
    off_diagonal = gram[~torch.eye(num_vertices, dtype=torch.bool)]
    assert torch.allclose(gram.diagonal(), torch.ones_like(gram[0]),
                          atol=1e-6)
    assert torch.allclose(off_diagonal,
                          torch.full_like(off_diagonal,
                                          -1 / (num_vertices - 1)),
                          atol=1e-6)
    # the vertices of a centred simplex sum to zero
    assert frame.sum(0).abs().max() < 1e-5


def test_deterministic_from_the_seed():
    assert torch.equal(
        simplex_etf(10, 32, seed=3), simplex_etf(10, 32, seed=3))
    assert not torch.allclose(
        simplex_etf(10, 32, seed=3), simplex_etf(10, 32, seed=4))
    # the global RNG plays no part
    torch.manual_seed(1)
    first = simplex_etf(10, 32)
    torch.manual_seed(2)
    assert torch.equal(first, simplex_etf(10, 32))


def test_too_many_vertices_is_a_clear_error_at_construction():
    with pytest.raises(UserInputError, match=r'no simplex of 130 vertices '
                       r'exists in 128 dimensions'):
        simplex_etf(130, 128)
    with pytest.raises(UserInputError, match='num_vertices <= dim'):
        GHLoss(num_classes=10, feat_dim=8)
    with pytest.raises(UserInputError, match='at least 2 vertices'):
        simplex_etf(1, 8)
