# FixMatch (RandAugment) on CIFAR-10 with 40 labels (4 per class):
# WRN-28-2, batch 64 labelled + 448 unlabelled, 2^20 iterations, 1 GPU.
_base_ = [
    '../_base_/models/fixmatch_wrn-28-2.py',
    '../_base_/datasets/cifar10_semi.py',
    '../_base_/schedules/fixmatch_1m.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
