import logging
import os.path as osp
from typing import Iterable, List, Optional, Tuple

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..utils.errors import UserInputError
from .split_files import read_split_lines

SPLIT_DOCS = ('docs/en/user_guides/semi_supervised.md, "Semi-supervised '
              'segmentation"')


@DATASETS.register_module()
class SemiSplitDataset(BaseDataset):
    """The labelled or the unlabelled part of any mmseg dataset, listed by a
    split file.

    The split-file protocol of UniMatch (Yang et al., "Revisiting
    Weak-to-Strong Consistency in Semi-Supervised Semantic Segmentation",
    CVPR 2023; ``splits/`` and ``dataset/semi.py`` of
    github.com/LiheYoung/UniMatch): one sample per line,
    ``<image> <mask>`` relative to the dataset's ``data_root``, separated by
    a space. Unlabelled lines need only the image; a mask column there is
    ignored, so UniMatch's own files work unchanged and unlabelled images
    need no mask at all.

    ``dataset`` is the user's existing mmseg dataset config (ADE20K,
    Cityscapes, Pascal VOC, ``LTDigitScenes``...). It is built without
    listing its files, for what the samples share: ``data_root``, the
    classes and palette, ``reduce_zero_label`` and the label map, and by
    default the pipeline. The samples come from the split file alone.

    Bad splits stop with one line: a missing file, a malformed line, an
    image that does not exist, a labelled line without a mask, an empty
    list. An image in both the labelled and the unlabelled list of one
    training run is found by :func:`check_disjoint_splits` (``tools/train
    .py`` runs it before training).

    Args:
        dataset (dict): Config of the mmseg dataset the split is part of.
        split_file (str): The split file (relative paths are from the
            working directory, like ``data_root``).
        labelled (bool): Whether the samples are labelled: load their masks
            (the pipeline needs ``LoadAnnotations``) or not (it needs
            ``LoadEmptySegMap``). Defaults to True.
        pipeline (list[dict], optional): Processing pipeline. Defaults to
            ``dataset``'s.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``lazy_init``, ``serialize_data``, ``indices``...).
    """

    def __init__(self,
                 dataset: dict,
                 split_file: str,
                 labelled: bool = True,
                 pipeline: Optional[List[dict]] = None,
                 **kwargs) -> None:
        if not isinstance(dataset, dict) or 'type' not in dataset:
            raise UserInputError(
                f'SemiSplitDataset.dataset must be the config of an mmseg '
                f"dataset, e.g. dict(type='ADE20KDataset', data_root=...), "
                f'got {dataset!r}')
        template = DATASETS.build(dict(dataset, lazy_init=True))
        if not isinstance(template, BaseSegDataset):
            raise UserInputError(
                f'SemiSplitDataset splits segmentation datasets (mmseg '
                f'BaseSegDataset), got {type(template).__name__}')
        self.split_file = split_file
        self.labelled = labelled
        self.split_root = template.data_root or ''
        self._shared_info = dict(
            label_map=template.label_map,
            reduce_zero_label=template.reduce_zero_label,
            seg_fields=[])
        if pipeline is None:
            pipeline = dataset.get('pipeline', [])
        self._check_mask_loading(pipeline)
        super().__init__(
            metainfo=template.metainfo, pipeline=pipeline, **kwargs)

    def _check_mask_loading(self, pipeline: List[dict]) -> None:
        """A labelled pipeline loads masks, an unlabelled one the empty map
        (a worker would otherwise fail on the first sample, with a
        KeyError far from the config)."""
        steps = [transform_name(step) for step in pipeline]
        if self.labelled and 'LoadEmptySegMap' in steps:
            raise UserInputError(
                f'the pipeline of labelled split {self.split_file} has '
                f'LoadEmptySegMap, which gives no mask; labelled samples '
                f"need dict(type='LoadAnnotations') there.")
        loaders = [s for s in steps if s.startswith('Load')
                   and 'Annotation' in s]
        if not self.labelled and loaders:
            raise UserInputError(
                f'the pipeline of unlabelled split {self.split_file} has '
                f'{loaders[0]}, but unlabelled samples have no mask to '
                f"load; use dict(type='LoadEmptySegMap') in its place.")

    def _warn_repeats(self, data_list: List[dict],
                      lines: List[Tuple[int, List[str]]]) -> None:
        """An image listed twice is sampled twice as often: likely a
        mistake, so say where, without stopping."""
        seen = {}
        for info, (n, _) in zip(data_list, lines):
            seen.setdefault(osp.normpath(info['img_path']), []).append(n)
        repeats = [(img, ns) for img, ns in seen.items() if len(ns) > 1]
        if repeats:
            shown = '; '.join(f'{img} on lines {", ".join(map(str, ns))}'
                              for img, ns in repeats[:3])
            print_log(
                f'{self.role} split file {self.split_file} lists '
                f'{len(repeats)} image(s) more than once ({shown}); each '
                f'copy is sampled, remove the repeats unless you mean it.',
                logger='current',
                level=logging.WARNING)

    @property
    def role(self) -> str:
        return 'labelled' if self.labelled else 'unlabelled'

    def _split_lines(self) -> List[Tuple[int, List[str]]]:
        if not osp.isfile(self.split_file):
            raise UserInputError(
                f'split file {self.split_file} ({self.role} set) not found. '
                f"Write one sample per line, '<image> <mask>' relative to "
                f'data_root {self.split_root!r}; see {SPLIT_DOCS}.')
        return read_split_lines(self.split_file)

    def load_data_list(self) -> List[dict]:
        """One data info per line of the split file, with the fields mmseg's
        datasets give their samples."""
        data_list = []
        lines = self._split_lines()
        for n, cols in lines:
            if len(cols) > 2 or (self.labelled and len(cols) < 2):
                expected = "'<image> <mask>'" if self.labelled else \
                    "'<image>' or '<image> <mask>'"
                raise UserInputError(
                    f'line {n} of {self.role} split file {self.split_file} '
                    f'is {" ".join(cols)!r}; expected {expected} relative to '
                    f'data_root, separated by one space.')
            info = dict(
                img_path=osp.join(self.split_root, cols[0]),
                **self._shared_info)
            if self.labelled:
                info['seg_map_path'] = osp.join(self.split_root, cols[1])
            data_list.append(info)
        self._warn_repeats(data_list, lines)
        if not data_list:
            raise UserInputError(
                f'{self.role} split file {self.split_file} lists no '
                f'samples; semi-supervised training needs both a labelled '
                f'and an unlabelled set.')
        missing = [
            info['img_path'] for info in data_list
            if '://' not in info['img_path']
            and not osp.isfile(info['img_path'])
        ]
        if missing:
            raise UserInputError(
                f'{len(missing)} image(s) listed in {self.role} split file '
                f'{self.split_file} do not exist, e.g. {missing[:3]}; the '
                f'lines are relative to data_root {self.split_root!r}. Fix '
                f'the paths or data_root.')
        return data_list


def transform_name(step) -> str:
    """The class name of a pipeline step given as a config dict (scope
    prefix dropped) or as a transform object."""
    type_ = step.get('type') if isinstance(step, dict) else step
    if not isinstance(type_, str):
        type_ = getattr(type_, '__name__', type(type_).__name__)
    return type_.split('.')[-1]


def branch_field_of(dataset) -> Optional[List[str]]:
    """``branch_field`` of the ``MultiBranch`` step of a built dataset's
    pipeline, or None without one."""
    for transform in getattr(dataset.pipeline, 'transforms', []):
        if transform_name(transform) == 'MultiBranch':
            return list(transform.branch_field)
    return None


def check_branch_fields(datasets: Iterable[object]) -> None:
    """Labelled and unlabelled samples collate into one batch only if
    their ``MultiBranch`` steps list the same branches.

    Args:
        datasets: The datasets of one training run; only
            :class:`SemiSplitDataset` ones are compared, and only when one
            of them has a ``MultiBranch`` step.
    """
    fields = [(ds, branch_field_of(ds)) for ds in datasets
              if isinstance(ds, SemiSplitDataset)]
    if all(field is None for _, field in fields):
        return
    first, first_field = fields[0]
    for ds, field in fields[1:]:
        if field != first_field:
            raise UserInputError(
                f'the {first.role} split {first.split_file} and the '
                f'{ds.role} split {ds.split_file} must end in MultiBranch '
                f'with the same branch_field, got {first_field} and '
                f'{field}; give both the same list (the branches the '
                f'model reads, e.g. {first_field or field}).')


def check_disjoint_splits(listed: Iterable[Tuple[object, List[dict]]]
                          ) -> None:
    """No image may be both labelled and unlabelled.

    Args:
        listed: ``(dataset, data_list)`` of the datasets of one training
            run; only :class:`SemiSplitDataset` ones are compared.
    """
    splits = [(ds, {osp.normpath(info['img_path'])
                    for info in data_list})
              for ds, data_list in listed
              if isinstance(ds, SemiSplitDataset)]
    for labelled, labelled_images in splits:
        for unlabelled, unlabelled_images in splits:
            if not labelled.labelled or unlabelled.labelled:
                continue
            common = sorted(labelled_images & unlabelled_images)
            if common:
                raise UserInputError(
                    f'{len(common)} image(s) are in both the labelled split '
                    f'{labelled.split_file} and the unlabelled split '
                    f'{unlabelled.split_file}, e.g. {common[:3]}; an image '
                    f'is either labelled or unlabelled, remove it from one '
                    f'list.')
