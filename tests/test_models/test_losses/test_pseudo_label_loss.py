"""The unlabelled loss on a hand example."""
import math

import torch

from sar_mm.models.losses import pseudo_label_loss


def test_loss_weighs_kept_valid_pixels_and_divides_by_all_valid():
    # one image, 2 classes, 2x2 pixels: logits of class 1 minus class 0
    margin = torch.tensor([[0., 1.], [2., 3.]])
    logits = torch.stack([torch.zeros(2, 2), margin])[None]
    labels = torch.tensor([[[1, 1], [0, 1]]])
    weight = torch.tensor([[[1., 0.], [0.5, 1.]]])
    valid = torch.tensor([[[True, True], [True, False]]])  # one padded
    loss, mask_ratio = pseudo_label_loss(logits, labels, weight, valid)
    # kept and valid: (0, 0) with label 1 (weight 1) and (1, 0) with label
    # 0 (weight 0.5); (0, 1) has weight 0, (1, 1) is padding; 3 valid
    ce_00 = math.log(1 + math.exp(-0.))     # -log softmax of class 1
    ce_10 = math.log(1 + math.exp(2.))      # -log softmax of class 0
    assert math.isclose(loss.item(), (ce_00 + 0.5 * ce_10) / 3,
                        rel_tol=1e-6)
    assert math.isclose(mask_ratio.item(), 2 / 3, rel_tol=1e-6)


def test_without_valid_mask_the_normaliser_is_the_batch():
    logits = torch.tensor([[2., 0.], [0., 1.], [0., 5.], [1., 1.]])
    labels = logits.argmax(dim=1)
    weight = torch.tensor([1., 0., 1., 0.])
    loss, mask_ratio = pseudo_label_loss(logits, labels, weight)
    # kept: rows 0 and 2; mean over all 4 rows
    expected = (math.log(1 + math.exp(-2.)) + math.log(1 + math.exp(-5.))) / 4
    assert math.isclose(loss.item(), expected, rel_tol=1e-6)
    assert mask_ratio.item() == 0.5


def test_nothing_kept_gives_zero_loss_with_gradient():
    logits = torch.zeros(2, 3, 4, 4, requires_grad=True)
    labels = torch.zeros(2, 4, 4, dtype=torch.long)
    loss, mask_ratio = pseudo_label_loss(logits, labels,
                                         torch.zeros(2, 4, 4))
    assert loss.item() == 0 and mask_ratio.item() == 0
    loss.backward()
    assert logits.grad is not None and not logits.grad.any()
