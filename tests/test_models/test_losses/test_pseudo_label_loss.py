"""Pseudo-labels and the unlabelled loss on a hand example."""
import math

import torch

from sar_mm.models.losses import make_pseudo_labels, pseudo_label_loss


def test_pseudo_labels_are_the_argmax_and_its_probability():
    logits = torch.tensor([[math.log(9.), 0.], [0., 0.], [0., math.log(3.)]],
                          requires_grad=True)
    labels, confidence = make_pseudo_labels(logits)
    assert labels.tolist() == [0, 0, 1]  # a tie goes to the first class
    torch.testing.assert_close(confidence, torch.tensor([0.9, 0.5, 0.75]))
    assert not labels.requires_grad and not confidence.requires_grad


def test_loss_keeps_confident_valid_pixels_and_divides_by_all_valid():
    # one image, 2 classes, 2x2 pixels: logits of class 1 minus class 0
    margin = torch.tensor([[0., 1.], [2., 3.]])
    logits = torch.stack([torch.zeros(2, 2), margin])[None]
    labels = torch.tensor([[[1, 1], [0, 1]]])
    confidence = torch.tensor([[[0.96, 0.5], [0.99, 0.95]]])
    valid = torch.tensor([[[True, True], [True, False]]])  # one padded
    loss, mask_ratio = pseudo_label_loss(logits, labels, confidence, 0.95,
                                         valid)
    # confident and valid: (0, 0) with label 1 and (1, 0) with label 0;
    # (0, 1) is not confident, (1, 1) is padding; 3 valid pixels
    ce_00 = math.log(1 + math.exp(-0.))     # -log softmax of class 1
    ce_10 = math.log(1 + math.exp(2.))      # -log softmax of class 0
    assert math.isclose(loss.item(), (ce_00 + ce_10) / 3, rel_tol=1e-6)
    assert math.isclose(mask_ratio.item(), 2 / 3, rel_tol=1e-6)


def test_without_valid_mask_the_normaliser_is_the_batch():
    logits = torch.tensor([[2., 0.], [0., 1.], [0., 5.], [1., 1.]])
    labels, confidence = make_pseudo_labels(logits)
    loss, mask_ratio = pseudo_label_loss(logits, labels, confidence, 0.8)
    # confident: rows 0 (p=0.881) and 2 (p=0.993); mean over all 4 rows
    expected = (math.log(1 + math.exp(-2.)) + math.log(1 + math.exp(-5.))) / 4
    assert math.isclose(loss.item(), expected, rel_tol=1e-6)
    assert mask_ratio.item() == 0.5


def test_nothing_confident_gives_zero_loss_with_gradient():
    logits = torch.zeros(2, 3, 4, 4, requires_grad=True)
    labels, confidence = make_pseudo_labels(logits)
    loss, mask_ratio = pseudo_label_loss(logits, labels, confidence, 0.95)
    assert loss.item() == 0 and mask_ratio.item() == 0
    loss.backward()
    assert logits.grad is not None and not logits.grad.any()
