import pytest
import torch

from sar_mm.models.pseudo_labelers import FreeMatchThreshold

from .reference import random_batch, slow_freematch_state


def example():
    """The FreeMatch example of lt_pseudo_labels.md (momentum 0.5, C = 2,
    state starts at 0.5), plus a confident padding position."""
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4],
                          [0.0, 1.0]])
    return probs, torch.tensor([True, True, True, True, False])


def test_updates_with_the_batch_then_selects():
    module = FreeMatchThreshold(2, momentum=0.5).train()
    out = module(*example())
    # tau = 0.5 * 0.5 + 0.5 * mean(0.9, 0.8, 0.7, 0.6) = 0.625
    assert module.global_threshold.item() == pytest.approx(0.625)
    # p~ = 0.5 * 0.5 + 0.5 * (0.65, 0.35) = (0.575, 0.425)
    assert module.class_probs.tolist() == pytest.approx([0.575, 0.425])
    # thresholds: 0.625 * (1, 0.425 / 0.575)
    assert module.thresholds().tolist() == pytest.approx(
        [0.625, 0.461957], abs=1e-6)
    assert out.labels.tolist() == [0, 0, 1, 0, 1]
    assert out.keep.tolist() == [True, True, True, False, False]


def test_prior_norm_lifts_the_tail_thresholds():
    module = FreeMatchThreshold(
        2, momentum=0.5, prior_norm=True, class_counts=[3, 1]).train()
    module(*example())
    # p~ / pi = (0.575 / 0.75, 0.425 / 0.25) = (0.7667, 1.7); MaxNorm x tau
    assert module.thresholds().tolist() == pytest.approx(
        [0.625 * 0.575 / 0.75 / 1.7, 0.625], abs=1e-6)


def test_a_step_without_valid_positions_leaves_the_state():
    module = FreeMatchThreshold(2, momentum=0.5).train()
    probs, _ = example()
    out = module(probs, torch.zeros(5, dtype=torch.bool))
    assert module.global_threshold.item() == 0.5
    assert module.class_probs.tolist() == [0.5, 0.5]
    assert not out.keep.any()


def test_three_steps_against_a_slow_loop():
    module = FreeMatchThreshold(4, momentum=0.6).train()
    batches = [random_batch(seed) for seed in range(3)]
    for step in range(3):
        module(*batches[step])
        tau, local = slow_freematch_state(batches[:step + 1], 4, 0.6)
        assert module.global_threshold.item() == pytest.approx(tau, rel=1e-6)
        assert module.class_probs.tolist() == pytest.approx(local, rel=1e-6)
    assert module.thresholds().tolist() == pytest.approx(
        [tau * p / max(local) for p in local], rel=1e-6)
