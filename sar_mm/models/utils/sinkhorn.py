import math
from typing import Optional

import torch
from torch import Tensor


@torch.no_grad()
def sinkhorn(logits: Tensor,
             prior: Optional[Tensor] = None,
             eps: float = 0.05,
             max_iters: int = 300,
             tol: float = 1e-5,
             check_interval: int = 10) -> Tensor:
    """Balanced assignment of samples to classes by Sinkhorn-Knopp, in the
    log domain.

    Finds the transport plan ``P = diag(u) exp(logits / eps) diag(v)``
    between the samples and the classes whose class marginal is ``prior``
    and whose sample marginal is uniform, and returns ``N * P``: one
    soft assignment per sample, summing to 1, whose mean over the samples is
    ``prior``. This is the surrogate-label allocation of Geometric
    Harmonization (Zhou et al., NeurIPS 2023,
    https://arxiv.org/abs/2310.17622; ``sinkhorn`` in ``utils.py`` of
    github.com/MediaBrain-SJTU/Geometric-Harmonization), which alternates
    the two scalings ``r = prior / (Q c)``, ``c = (1/N) / (Q^T r)`` directly
    on ``exp(logits / eps)``.

    Here the scalings are kept as logarithms and updated with
    ``logsumexp``, so ``logits / eps`` may be in the hundreds or thousands
    without overflow; everything runs in float32 with autocast disabled,
    whatever the input dtype. Every ``check_interval`` iterations the class
    marginal is compared with ``prior`` (it falls out of the next update, so
    the check costs no extra pass) and the loop stops once the largest error
    is at most ``tol``. Each iteration ends on the sample scaling, so the
    sample marginal is exact to rounding.

    Args:
        logits (Tensor): Scores of shape ``(..., N, K)``; leading dimensions
            are independent problems solved together.
        prior (Tensor, optional): Class marginal of shape ``(K,)``,
            non-negative, normalised here. Zero entries get no mass.
            Defaults to uniform.
        eps (float): Entropic regularisation; smaller is closer to a hard
            assignment and converges more slowly. Defaults to 0.05.
        max_iters (int): Most iterations (the reference always runs 300).
            Defaults to 300.
        tol (float): Stop when every class marginal is within ``tol`` of the
            prior (on the plan of total mass 1). 0 always runs
            ``max_iters``. Defaults to 1e-5.
        check_interval (int): Iterations between convergence checks (each
            check reads one value back from the device). Defaults to 10.

    Returns:
        Tensor: Assignments, float32, of the shape of ``logits``.
    """
    num_samples, num_classes = logits.shape[-2:]
    device = logits.device
    if prior is None:
        prior = torch.full((num_classes, ), 1.0 / num_classes, device=device)
    prior = prior.to(device=device, dtype=torch.float32)
    prior = prior / prior.sum()
    with torch.autocast(device_type=device.type, enabled=False):
        scores = logits.float() / eps
        log_prior = prior.log()
        log_sample_mass = -math.log(num_samples)
        log_u = scores.new_zeros(scores.shape[:-1] + (1, ))
        log_v = scores.new_zeros(scores.shape[:-2] + (1, num_classes))
        for step in range(max_iters):
            # log of the class marginal of the current plan, minus log_v
            col = torch.logsumexp(scores + log_u, dim=-2, keepdim=True)
            if tol > 0 and step > 0 and step % check_interval == 0:
                error = (torch.exp(log_v + col) - prior).abs().max()
                if error <= tol:
                    break
            log_v = log_prior - col
            log_u = log_sample_mass - torch.logsumexp(
                scores + log_v, dim=-1, keepdim=True)
        # N * plan, i.e. exp(scores + log_u + log_v) / exp(log_sample_mass),
        # is this softmax, since log_u is exactly the row log-normaliser;
        # the softmax form avoids cancelling large exponents in float32.
        return torch.softmax(scores + log_v, dim=-1)
