import pytest
import torch

from sar_mm.models.pseudo_labelers import DistributionMatching

from .reference import probs_of, random_batch, slow_histogram, sorted_dars


def example():
    """20 valid positions: background (class 0) at 10 x 0.99, 5 x 0.85,
    3 x 0.55; a digit (class 1) at 0.75 and 0.55; then two confident
    padding positions, one of each class."""
    labels = [0] * 18 + [1, 1] + [0, 1]
    confs = [0.99] * 10 + [0.85] * 5 + [0.55] * 3 + [0.75, 0.55, 1., 1.]
    valid = torch.tensor([True] * 20 + [False] * 2)
    return probs_of(labels, confs, 2), valid


def dars(counts, ratio, sampling='weight'):
    return DistributionMatching(
        2, class_counts=counts, ratio=ratio, momentum=0., num_bins=10,
        sampling=sampling).train()


def test_quota_thresholds_and_shares():
    module = dars([9, 1], ratio=0.5)
    out = module(*example())
    # quotas 0.5 * (0.9, 0.1) * 20 = (9, 1): background's 9 lie in bin 9
    # (10 there, so 9 / 10 are kept), the digit's 1 is its 0.75 (bin 7)
    assert module.histogram[:, [5, 7, 8, 9]].tolist() == [
        [3, 0, 5, 10], [1, 1, 0, 0]]
    cut, share = module.cut()
    assert cut.tolist() == [9, 7]
    assert share.tolist() == pytest.approx([0.9, 1.0])
    assert module.thresholds().tolist() == pytest.approx([0.9, 0.7])
    assert out.keep.tolist() == [True] * 10 + [False] * 8 + [True, False] \
        + [False, False]
    assert out.weight.tolist() == pytest.approx([0.9] * 10 + [0.] * 8 +
                                                [1., 0., 0., 0.])
    # the exact DARS, on sorted confidences, keeps the same positions
    conf = [0.99] * 10 + [0.85] * 5 + [0.55] * 3 + [0.75, 0.55]
    taus, shares = sorted_dars(conf, [0] * 18 + [1, 1], [0.9, 0.1], 0.5)
    assert taus == [0.99, 0.75] and shares == pytest.approx([0.9, 1.0])


def test_full_quota_and_overflow():
    module = dars([9, 1], ratio=1.)
    module(*example())
    # quotas (18, 2): both reach them at bin 5 (0.5), exactly
    cut, share = module.cut()
    assert cut.tolist() == [5, 5] and share.tolist() == [1., 1.]
    module = dars([85, 15], ratio=1.)
    out = module(*example())
    # the digit's quota 3 > its 2 positions (overflow): all kept, tau 0;
    # background's 17 of the 18 at or above bin 5
    cut, share = module.cut()
    assert cut.tolist() == [5, 0]
    assert share.tolist() == pytest.approx([17 / 18, 1.])
    assert out.keep[18:20].tolist() == [True, True]


def test_min_threshold_floors_every_class():
    # without the floor: cut (5, 0), background 17 / 18, the digit's
    # overflow keeps its 0.75 and 0.55 (see above)
    module = DistributionMatching(
        2, class_counts=[85, 15], ratio=1., momentum=0., num_bins=10,
        sampling='weight', min_threshold=0.8).train()
    out = module(*example())
    cut, share = module.cut()
    # background: 15 positions at or above 0.8 (bins 8 and 9), fewer than
    # its quota 17, so all of them; the digit has none there
    assert cut.tolist() == [8, 8]
    assert share.tolist() == [1., 1.]
    assert module.thresholds().tolist() == pytest.approx([0.8, 0.8])
    assert out.keep.tolist() == [True] * 15 + [False] * 7
    assert out.weight.tolist() == [1.] * 15 + [0.] * 7


def test_min_threshold_below_the_cuts_changes_nothing():
    floored = DistributionMatching(
        2, class_counts=[9, 1], ratio=0.5, momentum=0., num_bins=10,
        sampling='weight', min_threshold=0.5).train()
    plain = dars([9, 1], ratio=0.5)
    out, ref = floored(*example()), plain(*example())
    assert floored.cut()[0].tolist() == plain.cut()[0].tolist() == [9, 7]
    assert torch.equal(out.keep, ref.keep)
    assert torch.equal(out.weight, ref.weight)


def test_min_threshold_is_exact_inside_its_bin():
    # 0.951 and 0.949 share bin 9 of 10; only the first reaches 0.95
    probs = probs_of([1, 1, 0], [0.951, 0.949, 0.99], 2)
    out = DistributionMatching(
        2, class_counts=[1, 1], ratio=1., momentum=0., num_bins=10,
        sampling='none', min_threshold=0.95).train()(probs)
    assert out.keep.tolist() == [True, False, True]


@pytest.mark.parametrize('value', [-0.1, 1.5, None])
def test_min_threshold_outside_the_unit_interval(value):
    message = r'^min_threshold must be a number in \[0, 1\]'
    with pytest.raises(ValueError, match=message):
        DistributionMatching(2, min_threshold=value)


def test_random_sampling_keeps_the_share_on_average():
    torch.manual_seed(0)
    labels = [0] * 10000 + [1] * 10
    probs = probs_of(labels, [0.99] * 10000 + [0.9] * 10, 2)
    module = DistributionMatching(
        2, class_counts=[9, 1], ratio=0.5, momentum=0., num_bins=10).train()
    out = module(probs)
    # background: quota 0.5 * 0.9 * 10010 of its 10000, all in one bin
    kept = out.keep[:10000].double().mean().item()
    assert kept == pytest.approx(0.5 * 0.9 * 10010 / 10000, abs=0.02)
    assert out.keep[10000:].all()  # digit overflow: kept whole
    assert torch.equal(out.weight, out.keep.float())


def test_sampling_none_keeps_everything_above_the_cut():
    out = dars([9, 1], ratio=0.5, sampling='none')(*example())
    assert out.keep[:10].all() and out.weight[:10].tolist() == [1.] * 10


def test_matches_exact_dars_with_one_position_per_bin():
    gen = torch.Generator().manual_seed(3)
    num_bins, count = 100000, 300
    # distinct bins above 1/3, bin centres as confidences
    bins = torch.randperm(num_bins - num_bins // 3 - 1, generator=gen)[
        :count] + num_bins // 3 + 1
    conf = ((bins.double() + 0.5) / num_bins).tolist()
    labels = torch.randint(0, 3, (count, ), generator=gen)
    labels[:200] = 0  # a head class
    labels = labels.tolist()
    prior = [0.7, 0.2, 0.1]
    module = DistributionMatching(
        3, class_counts=[70, 20, 10], ratio=0.6, momentum=0.,
        num_bins=num_bins, sampling='weight').train()
    out = module(probs_of(labels, conf, 3))
    taus, shares = sorted_dars(conf, labels, prior, 0.6)
    cut, share = module.cut()
    assert share.tolist() == pytest.approx(shares)
    assert (cut.double() / num_bins).tolist() == pytest.approx(
        [int(t * num_bins) / num_bins for t in taus])
    expected = [x >= taus[y] for x, y in zip(conf, labels)]
    assert out.keep.tolist() == expected


def test_three_steps_against_a_slow_loop():
    module = DistributionMatching(
        4, class_counts=[5, 3, 2, 1], momentum=0.5, num_bins=20).train()
    batches = [random_batch(seed) for seed in range(3)]
    for step in range(3):
        module(*batches[step])
        hist = slow_histogram(batches[:step + 1], 4, 20, 0.5)
        assert module.histogram.flatten().tolist() == pytest.approx(
            [n for row in hist for n in row], rel=1e-12)
    assert module.histogram.sum() > 0
