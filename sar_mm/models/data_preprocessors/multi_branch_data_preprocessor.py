from typing import Dict

from mmengine.model import BaseDataPreprocessor
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class MultiBranchDataPreprocessor(BaseDataPreprocessor):
    """Runs a task's data preprocessor on each branch of a batch that
    :class:`~sar_mm.datasets.transforms.MultiBranch` packed.

    Restated from mmdet 3.x ``MultiBranchDataPreprocessor``
    (``mmdet/models/data_preprocessors/data_preprocessor.py``). In training
    the batch is ``{'inputs': {branch: list}, 'data_samples': {branch:
    list}}`` with ``None`` where a sample lacks a branch; those entries are
    dropped and each branch is normalised, padded and stacked on its own,
    giving ``{'inputs': {branch: Tensor}, 'data_samples': {branch: list}}``.
    Validation and test batches hold one view, and go to the wrapped
    preprocessor as they are.

    Args:
        data_preprocessor (dict): The task's preprocessor, e.g.
            ``SegDataPreProcessor`` or ``ClsDataPreprocessor``.
    """

    def __init__(self, data_preprocessor: dict) -> None:
        super().__init__()
        # built where the model is (mmseg or mmpretrain scope)
        from mmengine.registry import MODELS
        self.data_preprocessor = MODELS.build(data_preprocessor)

    def forward(self, data: dict, training: bool = False) -> Dict:
        if not training or not isinstance(data.get('inputs'), dict):
            return self.data_preprocessor(data, training)
        inputs, samples = {}, {}
        for branch, branch_inputs in data['inputs'].items():
            keep = [
                i for i, item in enumerate(branch_inputs) if item is not None
            ]
            if not keep:
                continue
            branch_samples = data['data_samples'][branch]
            out = self.data_preprocessor(
                dict(
                    inputs=[branch_inputs[i] for i in keep],
                    data_samples=[branch_samples[i] for i in keep]),
                training)
            inputs[branch] = out['inputs']
            samples[branch] = out['data_samples']
        return dict(inputs=inputs, data_samples=samples)
