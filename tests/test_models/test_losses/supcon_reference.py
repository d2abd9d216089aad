"""A slow, obviously correct BCL/RCL loss and a test batch."""
import math

import torch
import torch.nn.functional as F


def slow_contrastive_loss(feats, labels, prototypes, temperature,
                          log_prior=None, prior_tau=0., feat_scale=1.):
    """The BCL / RCL formula, one anchor, class and member at a time, in
    float64 Python arithmetic.

    Contrast set: the view embeddings (scaled by ``feat_scale``) and one
    prototype per class. For anchor i, A_k(i) are the members of class k
    other than i, P(i) = A_{y_i}(i):
    L_i = -1/|P(i)| sum_p [l_ip - log sum_k 1/|A_k(i)| sum_{j in A_k(i)}
    exp(l_ij)], l_ij = z_i . z_j / T + prior_tau * log pi_{y_j}.
    """
    feats = F.normalize(feats.double(), dim=1) * feat_scale
    prototypes = F.normalize(prototypes.double(), dim=1)
    members = [(f, int(y)) for f, y in zip(feats, labels)]
    members += [(p, k) for k, p in enumerate(prototypes)]
    num_classes = len(prototypes)

    def logit(i, j):
        value = float(feats[i] @ members[j][0]) / temperature
        if prior_tau:
            value += prior_tau * float(log_prior[members[j][1]])
        return value

    losses = []
    for i in range(len(feats)):
        others = [j for j in range(len(members)) if j != i]
        denominator = 0.
        for k in range(num_classes):
            class_k = [j for j in others if members[j][1] == k]
            denominator += sum(math.exp(logit(i, j))
                               for j in class_k) / len(class_k)
        positives = [j for j in others if members[j][1] == int(labels[i])]
        losses.append(-sum(logit(i, p) - math.log(denominator)
                           for p in positives) / len(positives))
    return sum(losses) / len(losses)


def random_batch(num_views=2, batch=5, dim=8, num_classes=6, seed=0):
    """Two views of a batch whose labels leave classes 4 and 5 out (only
    their prototypes represent them) and class 0 with one image."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.tensor([0, 1, 1, 2, 3])[:batch].repeat(num_views)
    feats = torch.randn(num_views * batch, dim, generator=gen)
    prototypes = torch.randn(num_classes, dim, generator=gen)
    return feats, labels, prototypes
