"""MultiSourceSampler: the ratio of every batch, the streams, DDP shares."""
import itertools
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.dataset import BaseDataset, ConcatDataset

from sar_mm.datasets.samplers import (MultiSourceSampler,
                                      check_multi_source_loaders)
from sar_mm.utils import UserInputError
from tests.utils import free_port


class Items(BaseDataset):
    """``n`` samples that carry nothing but their number."""

    def __init__(self, n):
        self.n = n
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(item=i) for i in range(self.n)]


def concat(*sizes):
    return ConcatDataset([Items(n) for n in sizes])


def batches(sampler, count):
    stream = iter(sampler)
    return [list(itertools.islice(stream, sampler.batch_size))
            for _ in range(count)]


def test_every_batch_holds_the_ratio_in_source_order():
    dataset = concat(3, 50)  # labelled 0..2, unlabelled 3..52
    sampler = MultiSourceSampler(dataset, batch_size=8, source_ratio=[1, 3],
                                 seed=0)
    for batch in batches(sampler, 40):
        assert all(i < 3 for i in batch[:2])
        assert all(3 <= i < 53 for i in batch[2:])


def test_each_source_is_a_reshuffled_endless_stream():
    dataset = concat(3, 10)
    sampler = MultiSourceSampler(dataset, batch_size=4, source_ratio=[1, 1],
                                 seed=0)
    drawn = batches(sampler, 15)
    labelled = [i for b in drawn for i in b[:2]]
    unlabelled = [i - 3 for b in drawn for i in b[2:]]
    # 30 labelled draws = 10 passes over 3 samples, each a permutation
    for k in range(10):
        assert sorted(labelled[3 * k:3 * k + 3]) == [0, 1, 2]
    for k in range(3):
        assert sorted(unlabelled[10 * k:10 * k + 10]) == list(range(10))
    assert labelled[:3] != labelled[3:6] or labelled[3:6] != labelled[6:9]
    # the same seed gives the same stream (what an exact resume relies on)
    again = MultiSourceSampler(dataset, batch_size=4, source_ratio=[1, 1],
                               seed=0)
    assert batches(again, 15) == drawn
    unshuffled = MultiSourceSampler(dataset, batch_size=4,
                                    source_ratio=[1, 1], shuffle=False)
    assert batches(unshuffled, 2) == [[0, 1, 3, 4], [2, 0, 5, 6]]


@pytest.mark.parametrize('kwargs,match', [
    (dict(batch_size=4, source_ratio=[1, 7]),
     r'batch_size 4 cannot hold source_ratio \[1, 7\] exactly; use a '
     r'multiple of 8'),
    (dict(batch_size=8, source_ratio=[1]), 'one positive integer per source'),
    (dict(batch_size=8, source_ratio=[0, 8]), 'one positive integer'),
    (dict(batch_size=0, source_ratio=[1, 1]), 'batch_size 0 cannot hold'),
])
def test_bad_ratio_or_batch_size(kwargs, match):
    with pytest.raises(UserInputError, match=match):
        MultiSourceSampler(concat(3, 5), **kwargs)


def test_empty_source_and_plain_dataset_are_refused():
    with pytest.raises(UserInputError, match=r'source 1 \(Items\) of the '
                       'MultiSourceSampler has no samples'):
        MultiSourceSampler(concat(3, 0), batch_size=2, source_ratio=[1, 1])
    with pytest.raises(UserInputError, match='ConcatDataset'):
        MultiSourceSampler(Items(3), batch_size=2, source_ratio=[1, 1])


def test_loader_batch_size_must_equal_the_samplers():
    cfg = Config(dict(train_dataloader=dict(
        batch_size=4,
        sampler=dict(type='MultiSourceSampler', batch_size=8,
                     source_ratio=[1, 1]))))
    with pytest.raises(UserInputError, match=r'train_dataloader.batch_size '
                       r'\(4\) differs from train_dataloader.sampler.'
                       r'batch_size \(8\)'):
        check_multi_source_loaders(cfg)
    cfg.train_dataloader.batch_size = 8
    check_multi_source_loaders(cfg)


def _rank_batches(rank, world_size, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    # seed=None: rank 0 draws the seed and shares it
    sampler = MultiSourceSampler(concat(4, 12), batch_size=4,
                                 source_ratio=[1, 1])
    torch.save(batches(sampler, 3), os.path.join(out, f'{rank}.pt'))
    dist.destroy_process_group()


def test_ranks_share_one_stream_without_overlap(tmp_path):
    mp.spawn(_rank_batches, args=(2, free_port(), str(tmp_path)), nprocs=2)
    ranks = [torch.load(tmp_path / f'{r}.pt') for r in range(2)]
    for step in range(2):
        # ranks 0 and 1 take alternate indices of each source's pass
        labelled = ranks[0][step][:2] + ranks[1][step][:2]
        assert sorted(labelled) == [0, 1, 2, 3]
    unlabelled = [i for r in ranks for b in r for i in b[2:]]
    assert sorted(unlabelled) == list(range(4, 16))
