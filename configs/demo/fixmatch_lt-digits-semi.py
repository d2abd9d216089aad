# FixMatch on the built-in semi-supervised LTDigits: 5 labelled digits per
# class, the other 1,190 training digits unlabelled, mu = 7. ResNet-32 from
# scratch (as the other LTDigits demos), 600 iterations on CPU.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/lt_digits_semi.py',
    '../_base_/schedules/fixmatch_lt-digits.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
# threshold 0.95 and unsup_weight 1 are FixMatchClassifier's defaults
model = dict(type='FixMatchClassifier')
