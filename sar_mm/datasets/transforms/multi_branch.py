import copy
from typing import Dict, List, Optional, Sequence

from mmcv.transforms import BaseTransform, Compose
from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS

from ...utils.errors import UserInputError


@SEG_TRANSFORMS.register_module()
@PRETRAIN_TRANSFORMS.register_module()
class MultiBranch(BaseTransform):
    """Several views of one sample, one per branch, for semi-supervised
    training.

    Restated from mmdet 3.x ``MultiBranch``
    (``mmdet/datasets/transforms/wrappers.py``). Each branch pipeline runs
    on its own deep copy of the results and ends in a pack transform
    (``PackSegInputs``, ``PackInputs``). The output names every branch of
    ``branch_field``, with ``None`` for those this sample does not have, so
    labelled and unlabelled samples collate into one batch::

        {'inputs': {'sup': ..., 'unsup_weak': None, ...},
         'data_samples': {'sup': ..., 'unsup_weak': None, ...}}

    Randomness that the views must share (e.g. the geometry that keeps a
    weak and a strong view pixel-aligned) belongs in the pipeline *before*
    this transform; each branch draws its own randomness.

    Args:
        branch_field (Sequence[str]): Every branch of the training batch,
            e.g. ``['sup', 'unsup_weak', 'unsup_strong']``.
        **branch_pipelines (list[dict]): The pipeline of each branch this
            sample has, by branch name.
    """

    def __init__(self,
                 branch_field: Optional[Sequence[str]] = None,
                 **branch_pipelines: List[dict]) -> None:
        if branch_field is None:
            # a required argument, refused in one line rather than a
            # TypeError from deep inside the pipeline's construction
            raise UserInputError(
                f'MultiBranch needs branch_field, the list of every branch '
                f'of the training batch, the same in the labelled and the '
                f"unlabelled pipeline, e.g. branch_field=['sup', "
                f"'unsup_weak', 'unsup_strong'] (got branches "
                f'{sorted(branch_pipelines)}).')
        unknown = sorted(set(branch_pipelines) - set(branch_field))
        if unknown:
            raise UserInputError(
                f'MultiBranch pipelines {unknown} are not in branch_field '
                f'{list(branch_field)}; add them there.')
        if not branch_pipelines:
            raise UserInputError(
                'MultiBranch needs at least one branch pipeline, e.g. '
                "sup=[dict(type='PackSegInputs')].")
        self.branch_field = list(branch_field)
        self.branch_pipelines = {
            name: Compose(pipeline)
            for name, pipeline in branch_pipelines.items()
        }

    def transform(self, results: dict) -> Optional[Dict[str, dict]]:
        packed = {}
        for name, pipeline in self.branch_pipelines.items():
            branch = pipeline(copy.deepcopy(results))
            if branch is None:  # a transform dropped the sample
                return None
            packed[name] = branch
        return dict(
            inputs={
                name: packed[name]['inputs'] if name in packed else None
                for name in self.branch_field
            },
            data_samples={
                name: packed[name]['data_samples'] if name in packed else None
                for name in self.branch_field
            })

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(branch_field={self.branch_field}, '
                f'branches={list(self.branch_pipelines)})')
