import torch

from sar_mm.models.pseudo_labelers import FixedThreshold


def test_keeps_valid_positions_at_or_above_the_threshold():
    probs = torch.tensor([[0.96, 0.02, 0.02],   # kept
                          [0.50, 0.40, 0.10],   # not confident
                          [0.01, 0.98, 0.01],   # confident but padding
                          [0.03, 0.02, 0.95]])  # exactly 0.95: kept
    valid = torch.tensor([True, True, False, True])
    out = FixedThreshold(3).train()(probs, valid)
    assert out.labels.tolist() == [0, 0, 1, 2]
    assert out.keep.tolist() == [True, False, False, True]
    assert out.weight.tolist() == [1., 0., 0., 1.]
    assert out.weight.dtype == torch.float32
    assert FixedThreshold(3).thresholds().tolist() == [
        torch.tensor(0.95).item()] * 3


def test_other_threshold_and_pixels():
    # (N=1, C=2, H=1, W=3): 0.7 passes 0.6, 0.55 does not
    probs = torch.tensor([[[[0.7, 0.45, 0.2]], [[0.3, 0.55, 0.8]]]])
    out = FixedThreshold(2, threshold=0.6)(probs)
    assert out.labels.tolist() == [[[0, 1, 1]]]
    assert out.keep.tolist() == [[[True, False, True]]]
