import pytest
import torch

from sar_mm.models.pseudo_labelers import FlexMatchThreshold

from .reference import probs_of, random_batch, slow_flexmatch_counts


def first_batch():
    """The FlexMatch example of lt_pseudo_labels.md: confident 0, 0 and 2,
    one unconfident 1, six more unconfident positions (7 unused), and a
    confident class-1 position that is padding."""
    labels = [0, 0, 1, 2] + [1] * 6 + [1]
    confs = [0.97, 0.99, 0.60, 0.96] + [0.5] * 6 + [0.99]
    valid = torch.tensor([True] * 10 + [False])
    return probs_of(labels, confs, 3), valid


def test_first_step_keeps_every_valid_position_then_counts():
    module = FlexMatchThreshold(3, momentum=0.).train()
    probs, valid = first_batch()
    out = module(probs, valid)
    # no counts yet: every threshold is 0; the padding is still dropped
    assert out.keep.tolist() == [True] * 10 + [False]
    assert module.confident_counts.tolist() == [2., 0., 1.]
    assert module.unused_count.item() == 7.
    # beta = (2/7, 0, 1/7); 0.95 * b / (2 - b) = 0.95/6, 0, 0.95/13
    assert module.learning_status().tolist() == pytest.approx(
        [2 / 7, 0, 1 / 7])
    assert module.thresholds().tolist() == pytest.approx(
        [0.158333, 0., 0.073077], abs=1e-6)


def test_selects_with_previous_state_before_updating():
    module = FlexMatchThreshold(3, momentum=0., warmup=False).train()
    module(*first_batch())
    # without warm-up: beta = sigma / max sigma = (1, 0, 1/2)
    expected = [0.95, 0., 0.95 * 0.5 / 1.5]
    assert module.thresholds().tolist() == pytest.approx(expected)
    probs = probs_of([0, 0, 1, 2, 2], [0.94, 0.96, 0.34, 0.40, 0.30], 3)
    # 0.30 is not the max of a 3-class row; build that one by hand
    probs[4] = torch.tensor([0.35, 0.30, 0.35])  # argmax 0 at 0.35 < 0.95
    out = module(probs)
    assert out.labels.tolist() == [0, 0, 1, 2, 0]
    assert out.keep.tolist() == [False, True, True, True, False]
    # then the step's own counts replace the state (momentum 0)
    assert module.confident_counts.tolist() == [1., 0., 0.]
    assert module.unused_count.item() == 4.


def test_prior_norm_divides_the_counts_by_the_labelled_share():
    module = FlexMatchThreshold(
        3, momentum=0., prior_norm=True, class_counts=[80, 10, 10]).train()
    module(*first_batch())
    # sigma / pi = (2.5, 0, 10); norm max(10, 7) = 10: beta (0.25, 0, 1)
    assert module.learning_status().tolist() == pytest.approx(
        [0.25, 0., 1.])
    assert module.thresholds().tolist() == pytest.approx(
        [0.95 / 7, 0., 0.95])
    assert module.uses_class_counts and not module.needs_class_counts
    assert FlexMatchThreshold(3, prior_norm=True).needs_class_counts
    assert not FlexMatchThreshold(3).uses_class_counts


def test_eval_mode_and_update_false_leave_the_state():
    module = FlexMatchThreshold(3).eval()
    module(*first_batch())
    module.train()(*first_batch(), update=False)
    assert module.confident_counts.tolist() == [0., 0., 0.]
    module.update(*first_batch())
    assert module.confident_counts.sum().item() > 0


def test_three_steps_against_a_slow_loop():
    module = FlexMatchThreshold(4, threshold=0.9, momentum=0.7).train()
    batches = [random_batch(seed) for seed in range(3)]
    for step in range(3):
        module(*batches[step])
        sigma, unused = slow_flexmatch_counts(batches[:step + 1], 4, 0.9,
                                              0.7)
        assert module.confident_counts.tolist() == pytest.approx(
            sigma, rel=1e-12)
        assert module.unused_count.item() == pytest.approx(unused, rel=1e-12)
    norm = max(max(sigma), unused)
    beta = [s / norm for s in sigma]
    assert module.thresholds().tolist() == pytest.approx(
        [0.9 * b / (2 - b) for b in beta], rel=1e-6)
