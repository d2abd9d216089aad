import itertools
from typing import Iterator, List, Optional, Sequence

import torch
from mmengine.dataset import ConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS as PRETRAIN_DATA_SAMPLERS
from mmseg.registry import DATA_SAMPLERS as SEG_DATA_SAMPLERS
from torch.utils.data import Sampler

from ...utils.errors import UserInputError


@SEG_DATA_SAMPLERS.register_module()
@PRETRAIN_DATA_SAMPLERS.register_module()
class MultiSourceSampler(Sampler):
    """Batches that mix the sources of a ``ConcatDataset`` in a fixed ratio.

    The sampler of semi-supervised training: with
    ``ConcatDataset([labelled, unlabelled])``, ``batch_size=8`` and
    ``source_ratio=[1, 1]``, every batch holds 4 labelled then 4 unlabelled
    samples. Restated from mmdet 3.x
    (``mmdet/datasets/samplers/multi_source_sampler.py``), with one
    difference: the ratio must be met exactly, so a batch size that cannot
    hold it is an error instead of a rounded split.

    Each source has its own endless stream of indices, reshuffled on every
    pass with a generator seeded identically on every rank; a rank takes
    every ``world_size``-th index of each stream. The stream is a function
    of the seed only, so mmengine's resume (which replays the dataloader up
    to the saved iteration) continues exactly. Use it with
    ``IterBasedTrainLoop``; the sources differ in size, so it has no epochs.

    Args:
        dataset (ConcatDataset): The sources, in the order of
            ``source_ratio``.
        batch_size (int): Samples per batch on each rank; the dataloader's
            ``batch_size`` must be the same.
        source_ratio (Sequence[int]): Relative share of each source in a
            batch, e.g. ``[1, 7]`` for FixMatch's mu = 7.
        shuffle (bool): Shuffle each source. Defaults to True.
        seed (int, optional): Seed of the streams; ``None`` draws one and
            shares it across ranks. Defaults to None.
    """

    def __init__(self,
                 dataset: ConcatDataset,
                 batch_size: int,
                 source_ratio: Sequence[int],
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not isinstance(dataset, ConcatDataset):
            raise UserInputError(
                f'MultiSourceSampler draws from the sources of a '
                f'ConcatDataset, got {type(dataset).__name__}; set '
                f"dataset=dict(type='ConcatDataset', datasets=[labelled, "
                f'unlabelled]).')
        sources = dataset.datasets
        if len(source_ratio) != len(sources) or not all(
                isinstance(r, int) and r > 0 for r in source_ratio):
            raise UserInputError(
                f'source_ratio must be one positive integer per source of '
                f'the ConcatDataset ({len(sources)}), got '
                f'{list(source_ratio)}')
        if not isinstance(batch_size, int) or batch_size <= 0 or \
                batch_size % sum(source_ratio):
            raise UserInputError(
                f'batch_size {batch_size} cannot hold source_ratio '
                f'{list(source_ratio)} exactly; use a multiple of '
                f'{sum(source_ratio)} for both the sampler and the '
                f'dataloader.')
        for i, source in enumerate(sources):
            if len(source) == 0:
                raise UserInputError(
                    f'source {i} ({type(source).__name__}) of the '
                    f'MultiSourceSampler has no samples.')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.batch_size = batch_size
        self.source_ratio = list(source_ratio)
        self.num_per_source = [
            batch_size * r // sum(source_ratio) for r in source_ratio
        ]
        self.offsets = [0] + list(itertools.accumulate(map(len, sources)))
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed

    def _source_indices(self, source: int) -> Iterator[int]:
        """This rank's endless share of one source's indices."""
        size = len(self.dataset.datasets[source])
        generator = torch.Generator().manual_seed(self.seed)

        def endless():
            while True:
                order = torch.randperm(size, generator=generator) \
                    if self.shuffle else torch.arange(size)
                yield from (self.offsets[source] + order).tolist()

        return itertools.islice(endless(), self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[int]:
        streams = [
            self._source_indices(i) for i in range(len(self.offsets) - 1)
        ]
        while True:
            batch: List[int] = []
            for stream, num in zip(streams, self.num_per_source):
                batch.extend(itertools.islice(stream, num))
            yield from batch

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Endless streams have no epochs."""


def check_multi_source_loaders(cfg) -> None:
    """The dataloader must batch exactly what the sampler composes: with any
    other ``batch_size`` the batches straddle the ratio."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name) or {}
        sampler = loader.get('sampler') or {}
        if not isinstance(sampler, dict) or \
                sampler.get('type') not in ('MultiSourceSampler',
                                            MultiSourceSampler):
            continue
        if loader.get('batch_size') != sampler.get('batch_size'):
            raise UserInputError(
                f'{name}.batch_size ({loader.get("batch_size")}) differs '
                f'from {name}.sampler.batch_size '
                f'({sampler.get("batch_size")}); set both to the same value '
                f'so every batch holds source_ratio '
                f'{sampler.get("source_ratio")}.')
