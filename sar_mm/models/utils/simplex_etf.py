import math

import torch
from torch import Tensor

from ...utils.errors import UserInputError


def simplex_etf(num_vertices: int, dim: int, seed: int = 0) -> Tensor:
    """A simplex equiangular tight frame: ``num_vertices`` unit vectors in
    ``R^dim`` whose pairwise cosine is ``-1 / (num_vertices - 1)``.

    The geometric uniform structure of Geometric Harmonization (Zhou et al.,
    "Combating Representation Learning Disparity with Geometric
    Harmonization", NeurIPS 2023, https://arxiv.org/abs/2310.17622),
    restated from ``target/gen_target.py`` of
    github.com/MediaBrain-SJTU/Geometric-Harmonization:
    ``M = sqrt(K / (K - 1)) * (I - 11^T / K) @ U`` with ``U`` the polar
    factor of a Gaussian matrix.

    Here the Gaussian matrix is centred first and ``U`` is the polar factor
    on its rank-``(K - 1)`` row space, which gives the same frame for
    ``K <= d`` and also covers ``K = d + 1``, where the reference's
    ``K x d`` polar factor cannot have orthonormal rows. The draw comes from
    a private generator seeded with ``seed`` and is computed in float64, so
    the frame is a deterministic function of its arguments and needs no
    shipped file.

    Args:
        num_vertices (int): Number of vertices K, at least 2.
        dim (int): Dimension d of the space; a simplex of K vertices exists
            only if ``K <= d + 1``.
        seed (int): Seed of the random orientation. Defaults to 0.

    Returns:
        Tensor: The frame, shape ``(K, d)``, float32, one vertex per row.
    """
    if num_vertices < 2:
        raise UserInputError(
            f'a simplex ETF needs at least 2 vertices, got {num_vertices}')
    if num_vertices > dim + 1:
        raise UserInputError(
            f'no simplex of {num_vertices} vertices exists in {dim} '
            f'dimensions (it needs num_vertices <= dim + 1 = {dim + 1}): '
            f'lower the number of surrogate classes or widen the projector '
            f'output')
    generator = torch.Generator().manual_seed(seed)
    gaussian = torch.randn(
        num_vertices, dim, generator=generator, dtype=torch.float64)
    # Centring puts the columns in the complement of the all-ones vector;
    # its left singular vectors then span exactly that (K - 1)-dim space.
    centred = gaussian - gaussian.mean(dim=0, keepdim=True)
    left, _, right_t = torch.linalg.svd(centred, full_matrices=False)
    rank = num_vertices - 1
    polar = left[:, :rank] @ right_t[:rank]
    frame = math.sqrt(num_vertices / rank) * polar
    return frame.float()
