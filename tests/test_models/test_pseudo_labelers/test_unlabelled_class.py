"""A class without labelled examples (possible on a small split of a long
tail): the strategies that read the labelled prior never pseudo-label it,
stay finite, and treat the other classes as a slow loop over the labelled
classes alone does."""
import math

import pytest
import torch

from sar_mm.models.pseudo_labelers import (DistributionMatching,
                                           FlexMatchThreshold,
                                           FreeMatchThreshold)

from .reference import (random_batch, slow_flexmatch_counts,
                        slow_freematch_state, slow_histogram)

COUNTS = [50, 0, 10, 5]  # class 1 has no labelled example
PRIOR = [n / sum(COUNTS) for n in COUNTS]
LABELLED = [c for c, n in enumerate(COUNTS) if n > 0]


def batches():
    return [random_batch(seed) for seed in range(4)]


def flat(probs, valid):
    """``(conf, label, valid)`` of every position, as lists."""
    conf, labels = probs.movedim(1, -1).reshape(-1, 4).max(-1)
    return conf.tolist(), labels.tolist(), valid.flatten().tolist()


def assert_never_kept_and_finite(module, out, probs, valid):
    conf, labels, ok = flat(probs, valid)
    # the batch does predict class 1, confidently, on valid positions
    assert any(y == 1 and v and x > 0.9 for x, y, v in zip(conf, labels, ok))
    assert not out.keep.flatten()[out.labels.flatten() == 1].any()
    assert torch.isfinite(out.weight).all()
    thresholds = module.thresholds()
    assert thresholds[1].item() == math.inf
    assert torch.isfinite(thresholds[LABELLED]).all()
    assert out.keep.any()


def expected_keep(thresholds, probs, valid):
    conf, labels, ok = flat(probs, valid)
    return [v and x >= thresholds[y] for x, y, v in zip(conf, labels, ok)]


def test_flexmatch_prior_norm():
    module = FlexMatchThreshold(
        4, threshold=0.9, momentum=0.7, prior_norm=True,
        class_counts=COUNTS).train()
    steps = batches()
    for batch in steps[:3]:
        module(*batch)
    sigma, unused = slow_flexmatch_counts(steps[:3], 4, 0.9, 0.7)
    # beta over the labelled classes only
    norm = max(max(sigma[c] / PRIOR[c] for c in LABELLED), unused)
    beta = {c: sigma[c] / PRIOR[c] / norm for c in LABELLED}
    expected = [0.9 * beta[c] / (2 - beta[c]) if c in beta else math.inf
                for c in range(4)]
    assert module.thresholds().tolist() == pytest.approx(expected, rel=1e-6)
    # FlexMatch selects with the state before the step's own update
    out = module(*steps[3])
    assert out.keep.flatten().tolist() == expected_keep(expected, *steps[3])
    assert_never_kept_and_finite(module, out, *steps[3])


def test_freematch_prior_norm():
    module = FreeMatchThreshold(
        4, momentum=0.6, prior_norm=True, class_counts=COUNTS).train()
    steps = batches()
    for batch in steps:
        out = module(*batch)
    tau, local = slow_freematch_state(steps, 4, 0.6)
    top = max(local[c] / PRIOR[c] for c in LABELLED)
    expected = [
        tau * local[c] / PRIOR[c] / top if c in LABELLED else math.inf
        for c in range(4)
    ]
    assert module.thresholds().tolist() == pytest.approx(expected, rel=1e-6)
    assert out.keep.flatten().tolist() == expected_keep(
        module.thresholds().tolist(), *steps[-1])
    assert_never_kept_and_finite(module, out, *steps[-1])


def slow_cuts(hist, prior, ratio):
    """Per labelled class, DARS's cut bin and share from the histogram,
    one bin at a time; None for a class without labelled examples."""
    total = sum(sum(row) for row in hist)
    cuts, shares = [], []
    for row, pi in zip(hist, prior):
        if pi == 0:
            cuts.append(None)
            shares.append(0.)
            continue
        quota = ratio * pi * total
        from_top = [sum(row[b:]) for b in range(len(row))]
        reached = [b for b in range(len(row)) if from_top[b] >= quota]
        if not reached:  # overflow: keep every position
            cuts.append(0)
            shares.append(1.)
        else:
            cuts.append(max(reached))
            shares.append(min(1., quota / from_top[max(reached)]))
    return cuts, shares


@pytest.mark.parametrize('sampling', ['none', 'weight', 'random'])
def test_distribution_matching(sampling):
    module = DistributionMatching(
        4, class_counts=COUNTS, ratio=0.5, momentum=0.5, num_bins=20,
        sampling=sampling).train()
    steps = batches()
    for batch in steps:
        out = module(*batch)
    cuts, shares = slow_cuts(slow_histogram(steps, 4, 20, 0.5), PRIOR, 0.5)
    cut, share = module.cut()
    assert cut.tolist() == [20 if c is None else c for c in cuts]
    assert share.tolist() == pytest.approx(shares, rel=1e-9)
    conf, labels, ok = flat(*steps[-1])
    above = [
        v and cuts[y] is not None and min(int(x * 20), 19) >= cuts[y]
        for x, y, v in zip(conf, labels, ok)
    ]
    if sampling == 'none':
        assert out.keep.flatten().tolist() == above
    elif sampling == 'weight':
        assert out.keep.flatten().tolist() == above
        assert out.weight.flatten().tolist() == pytest.approx(
            [shares[y] if a else 0. for a, y in zip(above, labels)])
    else:  # a random subset of the positions above the cut
        keep = out.keep.flatten().tolist()
        assert all(a for a, k in zip(above, keep) if k)
    assert_never_kept_and_finite(module, out, *steps[-1])


def test_every_class_unlabelled_but_one_is_refused():
    with pytest.raises(ValueError, match=r'at least 2 of them positive, got '
                       r'\[5\.0, 0\.0, 0\.0, 0\.0\]\. Class\(es\) \[1, 2, 3\] '
                       r'have no labelled training sample; .*--stratified'):
        DistributionMatching(4, class_counts=[5, 0, 0, 0])
