# Long-tailed semi-supervised LTDigits (the DARP / ABC protocol on the
# built-in digits): labelled and unlabelled sets both long-tailed, head
# (digit 0) to tail (digit 9) ratio 10: labelled 20, 15, 11, 9, 7, 5, 4,
# 3, 2, 2 and unlabelled 100, 77, 59, 46, 35, 27, 21, 16, 12, 10 digits.
_base_ = ['./lt_digits_semi.py']
split = dict(
    labelled_per_class=20,
    labelled_imbalance_ratio=10,
    unlabelled_per_class=100,
    unlabelled_imbalance_ratio=10)
train_dataloader = dict(dataset=split)
supervised_set = split
