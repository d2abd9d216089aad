"""Two gloo processes with different halves of each batch end with the
same buffers, equal to one process given the whole batch."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tests.utils import free_port

from .reference import random_batch
from .test_common import SETTINGS, run_steps


def halves(batches, rank):
    # rank 0 gets 1 image of 3, rank 1 the other 2: unequal shares
    part = slice(0, 1) if rank == 0 else slice(1, 3)
    return [(p[part], v[part]) for p, v in batches]


def batches():
    return [random_batch(seed, shape=(3, 4, 4)) for seed in range(3)]


def _worker(rank, port, results):
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
        world_size=2)
    states = {}
    for name, make in SETTINGS.items():
        module = make()
        run_steps(module, halves(batches(), rank))
        states[name] = {k: v.clone() for k, v in module.state_dict().items()}
    results[rank] = states
    dist.destroy_process_group()


def test_two_processes_hold_the_single_process_state():
    results = mp.Manager().dict()
    mp.start_processes(
        _worker, args=(free_port(), results), nprocs=2, join=True,
        start_method='fork')
    for name, make in SETTINGS.items():
        single = make()
        run_steps(single, batches())
        for key, expected in single.state_dict().items():
            if key == 'sampling_rng_state':
                continue  # each rank draws for its own positions
            rank0, rank1 = results[0][name][key], results[1][name][key]
            assert torch.equal(rank0, rank1), (name, key)  # bitwise
            assert rank0.dtype == expected.dtype
            # the sums were added in another order: float64 rounding only
            assert torch.allclose(rank0, expected, rtol=1e-12, atol=0), \
                (name, key)
            if key != 'class_counts':  # the steps moved the state
                assert not torch.equal(rank0, make().state_dict()[key]), \
                    (name, key)
