from typing import Optional, Union

import numpy as np
import torch


def own_generator(stream: int,
                  seed: Optional[int] = None,
                  device: Union[str, torch.device] = 'cpu') -> torch.Generator:
    """A component's own random number generator, on ``device``.

    Seeded from ``seed`` or, by default, from the run's seed (what
    ``torch.manual_seed`` last set, e.g. mmengine's ``randomness.seed``),
    mixed with the component's ``stream`` constant through
    ``numpy.random.SeedSequence``. Reading the run's seed neither consumes
    nor rewinds the global generator, so the model around the component
    draws exactly what it would without it, and the component's draws
    share no numbers with it or with another stream.
    """
    base = torch.initial_seed() if seed is None else seed
    mixed = np.random.SeedSequence([base, stream]).generate_state(
        1, dtype=np.uint64)[0]
    return torch.Generator(device=device).manual_seed(int(mixed))
