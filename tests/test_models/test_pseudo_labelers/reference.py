"""Test batches and slow, obviously correct versions of the strategies'
state updates: one position and one class at a time, in Python floats."""
import torch


def probs_of(labels, confs, num_classes):
    """(P, C) probabilities with the given argmax and maximum; the rest of
    the mass is spread evenly over the other classes (each conf must be
    above 1 / C)."""
    rest = [(1 - c) / (num_classes - 1) for c in confs]
    rows = [[conf if k == label else other for k in range(num_classes)]
            for label, conf, other in zip(labels, confs, rest)]
    return torch.tensor(rows, dtype=torch.float32)


def random_batch(seed, num_classes=4, shape=(2, 3, 5)):
    """Softmax probabilities (N, C, H, W) peaked enough to pass 0.95 now
    and then, and a valid mask with about a fifth of the positions off;
    invalid positions hold extreme values that must count nowhere."""
    gen = torch.Generator().manual_seed(seed)
    n, h, w = shape
    logits = torch.randn(n, num_classes, h, w, generator=gen) * 4
    logits[:, 0] += 1.5  # a head class
    probs = logits.softmax(1)
    valid = torch.rand(n, h, w, generator=gen) > 0.2
    spoiled = torch.zeros_like(probs)
    spoiled[:, -1] = 1.0  # fully confident tail-class garbage
    probs = torch.where(valid[:, None], probs, spoiled)
    return probs, valid


def positions(probs, valid):
    """The valid positions as Python lists of probability rows."""
    flat = probs.movedim(1, -1).reshape(-1, probs.shape[1]).double()
    return [row.tolist() for row, ok in zip(flat, valid.reshape(-1)) if ok]


def argmax(row):
    return max(range(len(row)), key=lambda k: row[k])


def slow_flexmatch_counts(batches, num_classes, threshold, momentum):
    """(sigma, unused) after EMA-counting each batch."""
    sigma, unused = [0.] * num_classes, 0.
    for probs, valid in batches:
        step, step_unused = [0.] * num_classes, 0.
        for row in positions(probs, valid):
            # compared in float32, as the module does
            if torch.tensor(max(row), dtype=torch.float32) >= threshold:
                step[argmax(row)] += 1
            else:
                step_unused += 1
        sigma = [momentum * s + (1 - momentum) * n
                 for s, n in zip(sigma, step)]
        unused = momentum * unused + (1 - momentum) * step_unused
    return sigma, unused


def slow_freematch_state(batches, num_classes, momentum):
    """(tau_t, p~_t) after each batch's EMA update."""
    tau, local = 1 / num_classes, [1 / num_classes] * num_classes
    for probs, valid in batches:
        rows = positions(probs, valid)
        mean_conf = sum(max(r) for r in rows) / len(rows)
        tau = momentum * tau + (1 - momentum) * mean_conf
        local = [
            momentum * p + (1 - momentum) * sum(r[k] for r in rows) / len(rows)
            for k, p in enumerate(local)
        ]
    return tau, local


def slow_histogram(batches, num_classes, num_bins, momentum):
    """Per predicted class, EMA counts of the confidences in equal bins."""
    hist = [[0.] * num_bins for _ in range(num_classes)]
    for probs, valid in batches:
        step = [[0.] * num_bins for _ in range(num_classes)]
        flat = probs.movedim(1, -1).reshape(-1, num_classes)
        for row, ok in zip(flat, valid.reshape(-1)):
            if ok:
                conf, label = row.max(0)
                step[int(label)][min(int(conf * num_bins), num_bins - 1)] += 1
        hist = [[momentum * h + (1 - momentum) * s for h, s in zip(hh, ss)]
                for hh, ss in zip(hist, step)]
    return hist


def sorted_dars(conf, labels, prior, ratio):
    """DARS's thresholds on exact sorted confidences: class c keeps its
    ceil(ratio * prior_c * N) most confident positions (all of them when
    it has fewer), and s_c = min(1, quota / kept)."""
    count = len(conf)
    taus, shares = [], []
    for c, pi in enumerate(prior):
        mine = sorted((x for x, y in zip(conf, labels) if y == c),
                      reverse=True)
        quota = ratio * pi * count
        needed = next((k for k in range(1, len(mine) + 1) if k >= quota),
                      None)
        if needed is None:  # overflow: fewer positions than the quota
            taus.append(0.)
            shares.append(1.)
            continue
        taus.append(mine[needed - 1])
        kept = sum(1 for x in mine if x >= mine[needed - 1])
        shares.append(min(1., quota / kept))
    return taus, shares


def slow_ael_confidence(batches, num_classes, momentum):
    """AEL's per-class confidence after each batch: the EMA of the mean
    confidence of the positions predicted as the class, started at its
    first observation, kept on a step without it."""
    conf = [None] * num_classes
    for probs, valid in batches:
        sums, counts = [0.] * num_classes, [0] * num_classes
        for row in positions(probs, valid):
            sums[argmax(row)] += max(row)
            counts[argmax(row)] += 1
        for k in range(num_classes):
            if counts[k]:
                mean = sums[k] / counts[k]
                conf[k] = mean if conf[k] is None else \
                    momentum * conf[k] + (1 - momentum) * mean
    return [0. if c is None else c for c in conf]
