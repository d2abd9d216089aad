from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS

from ...utils.checkpoint_fit import check_state_dict, state_dict_of


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Stop when a loaded checkpoint does not fit the model.

    mmengine's Runner loads ``load_from`` non-strictly and only logs the
    keys that do not match, so testing a checkpoint of another model
    reports the metrics of randomly initialised weights. This hook checks
    every key and shape as soon as the checkpoint is read, before it is
    applied, and stops with one line naming the mismatches
    (:func:`sar_mm.utils.checkpoint_fit.check_state_dict`).
    ``tools/test.py`` adds it; training keeps mmengine's non-strict
    ``load_from``, which fine-tuning from other weights relies on.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if isinstance(model, BaseTTAModel):
            model = model.module
        path = runner.cfg.get('load_from') or 'the checkpoint'
        check_state_dict(model, state_dict_of(checkpoint, path), path,
                         runner.cfg.filename or 'the config')
