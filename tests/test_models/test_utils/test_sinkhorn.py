import pytest
import torch
import torch.nn.functional as F

from sar_mm.models.utils import sinkhorn

EPS = 0.05


def marginal_errors(assignments, prior):
    """Largest errors of the class marginal (mean over samples, vs prior)
    and of the sample marginal (each row sums to 1)."""
    class_error = (assignments.mean(-2) - prior).abs().max().item()
    sample_error = (assignments.sum(-1) - 1).abs().max().item()
    return class_error, sample_error


def geometric_logits(num_samples, num_classes, scale=1.0, seed=0):
    """Unit-norm scores as GH makes them, with a shared bias towards some
    classes (an imbalanced batch), times ``scale``."""
    gen = torch.Generator().manual_seed(seed)
    raw = torch.randn(num_samples, num_classes, generator=gen)
    raw += 2 * torch.randn(1, num_classes, generator=gen)
    return scale * F.normalize(raw, dim=1)


def long_tailed_prior(num_classes):
    prior = 0.8**torch.arange(num_classes, dtype=torch.float32)
    return prior / prior.sum()


@pytest.mark.parametrize('num_samples, num_classes', [(64, 10), (256, 100)])
def test_marginals_match_prior_and_uniform(num_samples, num_classes):
    prior = long_tailed_prior(num_classes)
    assignments = sinkhorn(geometric_logits(num_samples, num_classes), prior,
                           EPS)
    assert assignments.shape == (num_samples, num_classes)
    assert assignments.dtype == torch.float32
    assert (assignments >= 0).all()
    class_error, sample_error = marginal_errors(assignments, prior)
    assert class_error < 1e-4
    assert sample_error < 1e-4


def test_large_logits_stay_finite_and_converge():
    # logits / eps reaches 160: exp() overflows float32 in the linear domain
    logits = geometric_logits(128, 10, scale=10.0)
    assert not torch.isfinite(torch.exp(logits / EPS)).all()
    prior = long_tailed_prior(10)
    assignments = sinkhorn(logits, prior, EPS)
    assert torch.isfinite(assignments).all()
    class_error, sample_error = marginal_errors(assignments, prior)
    assert class_error < 1e-4
    assert sample_error < 1e-4


def test_float32_inside_autocast_and_for_bfloat16_inputs():
    logits = geometric_logits(128, 10, scale=10.0)
    prior = long_tailed_prior(10)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        in_autocast = sinkhorn(logits, prior, EPS)
        from_bf16 = sinkhorn(logits.bfloat16(), prior, EPS)
    for assignments in (in_autocast, from_bf16):
        assert assignments.dtype == torch.float32
        class_error, sample_error = marginal_errors(assignments, prior)
        assert class_error < 1e-4
        assert sample_error < 1e-4
    assert torch.allclose(in_autocast, sinkhorn(logits, prior, EPS))


def test_batched_problems_are_independent():
    logits = torch.stack(
        [geometric_logits(32, 10, seed=s) for s in range(3)])
    prior = long_tailed_prior(10)
    together = sinkhorn(logits, prior, EPS, tol=0)
    for i in range(3):
        alone = sinkhorn(logits[i], prior, EPS, tol=0)
        assert torch.allclose(together[i], alone, atol=1e-6)


def test_uniform_default_and_empty_classes():
    logits = geometric_logits(64, 10)
    class_error, _ = marginal_errors(sinkhorn(logits), torch.full((10, ),
                                                                  0.1))
    assert class_error < 1e-4
    # a class of prior 0 gets no mass, without NaN
    prior = long_tailed_prior(10)
    prior[3] = 0
    prior /= prior.sum()
    assignments = sinkhorn(logits, prior, EPS)
    assert torch.isfinite(assignments).all()
    assert assignments[:, 3].abs().max() == 0
    assert marginal_errors(assignments, prior)[0] < 1e-4


def test_early_stop_agrees_with_the_full_run():
    logits = geometric_logits(128, 10)
    prior = long_tailed_prior(10)
    full = sinkhorn(logits, prior, EPS, max_iters=300, tol=0)
    early = sinkhorn(logits, prior, EPS, max_iters=300, tol=1e-5)
    assert (early - full).abs().max() < 1e-3
