"""SAR's pixel side: pseudo-labels at the features' resolution."""
import torch

from sar_mm.models.sar import pool_pseudo_labels


def test_pool_pseudo_labels_by_hand():
    labels = torch.tensor([[[1, 1, 2, 2],
                            [1, 1, 2, 3],
                            [4, 4, 5, 5],
                            [4, 4, 5, 5]]])
    keep = torch.ones_like(labels, dtype=torch.bool)
    keep[0, 3, 3] = False
    # cells: uniform 1 | mixed 2/3 ; uniform 4 | one pixel not kept
    assert pool_pseudo_labels(labels, keep, (2, 2), 255).tolist() == [
        [[1, 255], [4, 255]]]
