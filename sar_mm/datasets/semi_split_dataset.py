import os.path as osp
from typing import Iterable, List, Optional, Tuple

from mmengine.dataset import BaseDataset
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..utils.errors import UserInputError

SPLIT_DOCS = 'README.md, "Semi-supervised segmentation"'


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
        super().__init__(
            metainfo=template.metainfo, pipeline=pipeline, **kwargs)

    @property
    def role(self) -> str:
        return 'labelled' if self.labelled else 'unlabelled'

    def _split_lines(self) -> List[Tuple[int, List[str]]]:
        if not osp.isfile(self.split_file):
            raise UserInputError(
                f'split file {self.split_file} ({self.role} set) not found. '
                f"Write one sample per line, '<image> <mask>' relative to "
                f'data_root {self.split_root!r}; see {SPLIT_DOCS}.')
        with open(self.split_file) as f:
            lines = [(n, line.split()) for n, line in enumerate(f, 1)]
        return [(n, cols) for n, cols in lines if cols]

    def load_data_list(self) -> List[dict]:
        """One data info per line of the split file, with the fields mmseg's
        datasets give their samples."""
        data_list = []
        for n, cols in self._split_lines():
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
