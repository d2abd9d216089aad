"""The ``fixmatch+oracle`` arm of ``semi_seg.py``: FixMatch whose
pseudo-labels are the unlabelled scenes' ground truth.

A diagnostic, not a method: it keeps everything of FixMatch (the strong
views, CutMix, the unlabelled views' own batch-norm batch, the loss
normaliser, the schedule) and replaces only the pseudo-labels, by labels
no strategy can beat. Its gain over supervised-only is the most any
pseudo-labelling strategy can bring with this unlabelled pipeline and
schedule. The arm's config loads the unlabelled masks (``ORACLE_CONFIG``);
nothing else in the toolkit reads them.

Imported by the arm's config (``custom_imports``); ``tools/train.py`` puts
the repository root on ``sys.path``.
"""
import torch
from mmseg.registry import MODELS

from sar_mm.models.segmentors import FixMatchSegmentor
from sar_mm.models.segmentors.semi_base_segmentor import WeakPrediction


@MODELS.register_module()
class OracleFixMatchSegmentor(FixMatchSegmentor):
    """FixMatch with the ground truth as pseudo-labels, every labelled
    pixel kept at weight 1 (ignore and padding pixels, 255, dropped)."""

    def get_pseudo_labels(self, weak, samples):
        labels = self.stack_maps(samples).long()
        valid = labels != 255  # the masks' ignore value and the padding
        labels = torch.where(valid, labels, 0)
        return WeakPrediction(labels, valid, valid.float(), valid, valid)


#: Config lines that turn the FixMatch demo config into the oracle arm:
#: the model above, and an unlabelled split that loads its masks.
ORACLE_CONFIG = """
custom_imports = dict(
    imports=['sar_mm', 'benchmarks.semi_oracle'], allow_failed_imports=False)
train_dataloader = dict(dataset=dict(datasets=[
    _base_.labelled,
    dict(_base_.unlabelled, labelled=True,
         pipeline=[dict(type='LoadImageFromFile'),
                   dict(type='LoadAnnotations')] +
         _base_.unlabelled_geometry[2:] + _base_.unlabelled_pipeline[-1:])
]))
"""
