import numpy as np
import pytest

from sar_mm.datasets import long_tailed_counts, subsample_long_tailed


@pytest.mark.parametrize('n_max,num_classes,ratio,total', [
    (5000, 10, 100, 12406), (5000, 10, 50, 13996), (5000, 10, 10, 20431),
    (500, 100, 100, 10847), (500, 100, 50, 12608), (500, 100, 10, 19573)
])
def test_published_cifar_lt_totals(n_max, num_classes, ratio, total):
    counts = long_tailed_counts(n_max, num_classes, ratio)
    assert sum(counts) == total
    assert counts[0] == n_max and counts[-1] == n_max // ratio
    assert all(a >= b for a, b in zip(counts, counts[1:]))


def test_counts_by_hand():
    # 100 * 10 ** (-c / 2) for c = 0, 1, 2 -> 100, 31.6, 10
    assert long_tailed_counts(100, 3, 10) == [100, 31, 10]
    assert long_tailed_counts(7, 4, 1) == [7, 7, 7, 7]


def test_bad_ratios():
    with pytest.raises(ValueError, match='imbalance_ratio must be >= 1'):
        long_tailed_counts(100, 10, 0.5)
    with pytest.raises(ValueError, match=r'classes \[.*9\] with 0 samples'):
        long_tailed_counts(10, 10, 100)
    with pytest.raises(ValueError, match='num_classes must be >= 2'):
        long_tailed_counts(10, 1, 2)


def test_subsample_is_deterministic_and_follows_counts():
    labels = np.repeat(np.arange(4), 20)
    np.random.RandomState(3).shuffle(labels)
    keep = subsample_long_tailed(labels, 4, 8, n_max=16, seed=0)
    assert np.bincount(labels[keep]).tolist() == [16, 8, 4, 2]
    assert len(set(keep.tolist())) == len(keep)
    np.testing.assert_array_equal(
        keep, subsample_long_tailed(labels, 4, 8, n_max=16, seed=0))
    other = subsample_long_tailed(labels, 4, 8, n_max=16, seed=1)
    assert not np.array_equal(np.sort(keep), np.sort(other))
    with pytest.raises(ValueError, match='fewer samples'):
        subsample_long_tailed(labels, 4, 2, n_max=30)


def test_subsample_keeps_the_ldam_subsets_and_the_global_generator():
    """The subset is LDAM-DRW's (one global seed, then a shuffle per class),
    and numpy's global generator is left where it was."""
    labels = np.repeat(np.arange(3), 10)
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    keep = subsample_long_tailed(labels, 3, 4, n_max=8, seed=2)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    np.random.seed(2)
    expected = []
    for c, n in enumerate([8, 4, 2]):
        idx = np.flatnonzero(labels == c)
        np.random.shuffle(idx)
        expected.extend(idx[:n])
    np.testing.assert_array_equal(keep, expected)
