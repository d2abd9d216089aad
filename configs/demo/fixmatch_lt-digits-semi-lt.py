# FixMatch on the built-in long-tailed semi-supervised LTDigits: labelled
# 20 to 2 and unlabelled 100 to 10 digits per class (head/tail ratio 10
# for both), mu = 7, ResNet-32, 600 iterations on CPU.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/lt_digits_semi-lt.py',
    '../_base_/schedules/fixmatch_lt-digits.py',
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='FixMatchClassifier')
