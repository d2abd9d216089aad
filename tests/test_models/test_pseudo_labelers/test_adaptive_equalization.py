import pytest
import torch

from sar_mm.models.pseudo_labelers import AdaptiveEqualization

from .reference import random_batch, slow_ael_confidence


def example():
    """Three classes: class 0 (the head) predicted confidently, class 1
    less so, class 2 never; plus a confident padding position of class
    2."""
    probs = torch.tensor([[0.9, 0.05, 0.05], [0.7, 0.2, 0.1],
                          [0.1, 0.6, 0.3], [0.3, 0.4, 0.3],
                          [0.0, 0.0, 1.0]])
    return probs, torch.tensor([True, True, True, True, False])


def test_updates_then_weighs_by_class_and_confidence():
    module = AdaptiveEqualization(3, momentum=0.5, weight_norm=False).train()
    out = module(*example())
    # first observation: class 0 mean(0.9, 0.7) = 0.8, class 1 mean(0.6,
    # 0.4) = 0.5; class 2 unseen (padding does not count) stays 0
    assert module.confidence.tolist() == pytest.approx([0.8, 0.5, 0.0])
    assert module.seen.tolist() == [True, True, False]
    # d = (1 - conf) / max(1 - conf) = (0.2, 0.5, 1.0)
    assert module.equalization().tolist() == pytest.approx([0.2, 0.5, 1.0])
    # weight = d[label] * q ** 2
    assert out.labels.tolist() == [0, 0, 1, 1, 2]
    assert out.weight.tolist() == pytest.approx(
        [0.2 * 0.81, 0.2 * 0.49, 0.5 * 0.36, 0.5 * 0.16, 0.0])
    assert out.keep.tolist() == [True, True, True, True, False]


def test_threshold_power_and_momentum():
    module = AdaptiveEqualization(
        3, momentum=0.5, gamma=1, power=2, threshold=0.6,
        weight_norm=False).train()
    module(*example())
    out = module(*example())
    # the second step blends: 0.5 * 0.8 + 0.5 * 0.8; d = (0.2 / 0.5) ** 2
    # against class 1; class 2 still unseen, d = 1 / 1
    assert module.confidence.tolist() == pytest.approx([0.8, 0.5, 0.0])
    assert module.equalization().tolist() == pytest.approx([0.04, 0.25, 1])
    assert out.keep.tolist() == [True, True, True, False, False]
    assert out.weight.tolist() == pytest.approx(
        [0.04 * 0.9, 0.04 * 0.7, 0.25 * 0.6, 0.0, 0.0])


def test_before_any_step_every_class_weighs_the_same():
    module = AdaptiveEqualization(3, weight_norm=False).eval()
    out = module(*example())
    assert module.equalization().tolist() == [1.0, 1.0, 1.0]
    assert out.weight[:4].tolist() == pytest.approx(
        [0.81, 0.49, 0.36, 0.16])


def test_three_steps_against_a_slow_loop():
    module = AdaptiveEqualization(4, momentum=0.6, weight_norm=False).train()
    batches = [random_batch(seed) for seed in range(3)]
    for step in range(3):
        out = module(*batches[step])
        conf = slow_ael_confidence(batches[:step + 1], 4, 0.6)
        assert module.confidence.tolist() == pytest.approx(conf, rel=1e-6)
    room = [1 - c for c in conf]
    d = [r / max(room) for r in room]
    probs, valid = batches[-1]
    q, labels = probs.max(1)
    expected = torch.tensor(d)[labels] * q.double()**2 * valid
    assert torch.allclose(out.weight.double(), expected, rtol=1e-6)


def test_weight_norm_gives_the_weighted_mean_loss():
    """Scaled to sum to the 4 valid positions, the weights divided by that
    count (the unlabelled loss's normaliser) are AEL's w / sum(w)."""
    module = AdaptiveEqualization(3, momentum=0.5).train()
    out = module(*example())
    raw = torch.tensor([0.2 * 0.81, 0.2 * 0.49, 0.5 * 0.36, 0.5 * 0.16])
    assert out.weight[:4].tolist() == pytest.approx(
        (raw * 4 / raw.sum()).tolist())
    assert out.weight[4] == 0
    assert out.weight.sum().item() == pytest.approx(4)


def test_weight_norm_without_any_kept_position_gives_zeros():
    module = AdaptiveEqualization(3, threshold=1.0).train()
    out = module(*example())
    assert not out.keep.any()
    assert out.weight.tolist() == [0.0] * 5


@pytest.mark.parametrize('setting, message', [
    (dict(momentum=1.5), 'momentum must be a number in [0, 1]'),
    (dict(threshold=-0.1), 'threshold must be a number in [0, 1]'),
    (dict(gamma=-1), 'gamma must be a number >= 0'),
    (dict(power='1'), 'power must be a number >= 0'),
])
def test_bad_settings(setting, message):
    with pytest.raises(ValueError, match=message.replace('[', r'\[')):
        AdaptiveEqualization(3, **setting)
