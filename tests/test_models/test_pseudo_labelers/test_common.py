"""What every strategy promises: pixels and images alike, invalid
positions count nowhere, state in checkpoints, fp16 input, no host
reads."""
import io

import pytest
import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from benchmarks.common import HostReads
from sar_mm.models.pseudo_labelers import (AdaptiveEqualization,
                                           DistributionMatching,
                                           FixedThreshold, FlexMatchThreshold,
                                           FreeMatchThreshold)

from .reference import random_batch

COUNTS = [50, 20, 10, 5]
SETTINGS = {
    'fixed': lambda: FixedThreshold(4, threshold=0.9),
    'flexmatch': lambda: FlexMatchThreshold(4, threshold=0.9, momentum=0.6),
    'flexmatch-prior': lambda: FlexMatchThreshold(
        4, momentum=0.6, prior_norm=True, class_counts=COUNTS),
    'freematch': lambda: FreeMatchThreshold(4, momentum=0.6),
    'freematch-prior': lambda: FreeMatchThreshold(
        4, momentum=0.6, prior_norm=True, class_counts=COUNTS),
    'dars': lambda: DistributionMatching(
        4, class_counts=COUNTS, momentum=0.6, num_bins=50),
    'dars-weight': lambda: DistributionMatching(
        4, class_counts=COUNTS, momentum=0.6, num_bins=50, sampling='weight'),
    'ael': lambda: AdaptiveEqualization(4, momentum=0.6),
    # a class without labelled examples (test_unlabelled_class.py)
    'flexmatch-prior-unlabelled': lambda: FlexMatchThreshold(
        4, momentum=0.6, prior_norm=True, class_counts=[50, 0, 10, 5]),
    'dars-unlabelled': lambda: DistributionMatching(
        4, class_counts=[50, 0, 10, 5], momentum=0.6, num_bins=50),
}
strategies = pytest.mark.parametrize('make', SETTINGS.values(),
                                     ids=SETTINGS.keys())


def run_steps(module, batches, seed=0):
    """Train-mode forward of each batch (seeded, for DARS's sampling)."""
    torch.manual_seed(seed)
    module.train()
    return [module(*batch) for batch in batches]


def assert_same_state(a, b, but=()):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in set(sa) - set(but):
        assert sa[key].dtype == sb[key].dtype, key
        assert torch.equal(sa[key], sb[key]), key


@strategies
def test_pixels_and_images_give_the_same_result(make):
    batches = [random_batch(seed) for seed in range(3)]
    images = [(p.movedim(1, -1).reshape(-1, 4), v.reshape(-1))
              for p, v in batches]
    pixels, flat = make(), make()
    for a, b in zip(run_steps(pixels, batches), run_steps(flat, images)):
        for field_a, field_b in zip(a, b):
            assert field_a.shape == (2, 3, 5)
            assert torch.equal(field_a.reshape(-1), field_b)
    assert_same_state(pixels, flat)


@strategies
def test_invalid_positions_change_nothing(make):
    """A batch with padding gives the state and the selection of the same
    batch with the padding cut out (here: images, so it can be cut)."""
    probs, valid = random_batch(5)
    probs = probs.movedim(1, -1).reshape(-1, 4)
    valid = valid.reshape(-1)
    padded, cut = make(), make()
    out_padded, = run_steps(padded, [(probs, valid)])
    out_cut, = run_steps(cut, [(probs[valid], None)])
    assert not out_padded.keep[~valid].any()
    assert not out_padded.weight[~valid].any()
    if not isinstance(padded, DistributionMatching):  # draws differ
        assert torch.equal(out_padded.keep[valid], out_cut.keep)
    # DARS's generator drew for the padding too
    assert_same_state(padded, cut, but=['sampling_rng_state'])
    assert torch.equal(padded.thresholds(), cut.thresholds())


@strategies
def test_state_survives_save_and_load_bitwise(make):
    batches = [random_batch(seed) for seed in range(3)]
    trained = make()
    run_steps(trained, batches[:2])
    buffer = io.BytesIO()
    torch.save(trained.state_dict(), buffer)
    buffer.seek(0)
    fresh = make()
    fresh.load_state_dict(torch.load(buffer))
    assert_same_state(trained, fresh)
    # and the next step goes on identically
    after_trained, = run_steps(trained, batches[2:], seed=1)
    after_fresh, = run_steps(fresh, batches[2:], seed=1)
    for a, b in zip(after_trained, after_fresh):
        assert torch.equal(a, b)
    assert_same_state(trained, fresh)


def test_the_state_is_in_persistent_buffers():
    assert set(SETTINGS['flexmatch']().state_dict()) == {
        'class_counts', 'confident_counts', 'unused_count'}
    assert set(SETTINGS['freematch']().state_dict()) == {
        'class_counts', 'global_threshold', 'class_probs'}
    # and the state of DARS's own sampling generator
    assert set(SETTINGS['dars']().state_dict()) == {
        'class_counts', 'histogram', 'sampling_rng_state'}
    assert not list(SETTINGS['dars']().parameters())


@strategies
def test_fp16_probabilities_are_computed_in_float32(make):
    batches = [(p.half(), v) for p, v in (random_batch(s) for s in range(2))]
    as_float = [(p.float(), v) for p, v in batches]
    half, full = make(), make()
    for a, b in zip(run_steps(half, batches), run_steps(full, as_float)):
        assert a.weight.dtype == torch.float32
        for field_a, field_b in zip(a, b):
            assert torch.equal(field_a, field_b)
    assert_same_state(half, full)


@strategies
def test_no_host_reads(make):
    module = make()
    probs, valid = random_batch(0)
    with HostReads() as reads:
        module.train()(probs, valid)
        module.eval()(probs, valid)
        module.update(probs, valid)
        module.thresholds()
    assert reads.ours == []


def test_the_counter_is_live_around_a_strategy():
    """A read made inside a strategy's step is counted (as upstream here,
    because this subclass lives outside sar_mm), so the test above can
    fail."""

    class Reading(FixedThreshold):

        def _update(self, probs, conf, labels, valid):
            bool(valid.any())

    with HostReads() as reads:
        Reading(4).train()(*random_batch(0))
    assert reads.upstream['__bool__'] == 1


@pytest.mark.parametrize('registry', [SEG_MODELS, PRETRAIN_MODELS])
def test_registered_in_both_registries(registry):
    for name in ('FixedThreshold', 'FlexMatchThreshold',
                 'FreeMatchThreshold', 'DistributionMatching'):
        module = registry.build(
            dict(type=name, num_classes=3, class_counts=[3, 2, 1])
            if name == 'DistributionMatching' else dict(
                type=name, num_classes=3))
        assert type(module).__name__ == name


@strategies
def test_same_under_autocast(make):
    batches = [random_batch(seed) for seed in range(2)]
    plain, autocast = make(), make()
    expected = run_steps(plain, batches)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = run_steps(autocast, batches)
    for a, b in zip(expected, got):
        for field_a, field_b in zip(a, b):
            assert torch.equal(field_a, field_b)
    assert_same_state(plain, autocast)


def test_dars_sampling_owns_its_generator():
    """Random sampling draws from the strategy's own generator: the global
    stream is not consumed, two strategies built under one seed draw the
    same, and another run seed draws otherwise."""
    probs, valid = random_batch(0)

    def keeps(seed):
        torch.manual_seed(seed)
        module = SETTINGS['dars']().train()
        before = torch.get_rng_state()
        out = [module(probs, valid).keep for _ in range(2)]
        assert torch.equal(torch.get_rng_state(), before)
        return out

    first, again, other = keeps(0), keeps(0), keeps(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0], first[1])  # the stream moves on
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
