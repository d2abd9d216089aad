# FixMatch + SAR with distribution-matching pseudo-labels (DARS-style:
# each class keeps its labelled share), the best arm of
# benchmarks/semi_cls.py on the long-tailed digits.
_base_ = ['./fixmatch-sar_lt-digits-semi-lt.py']
model = dict(pseudo_label=dict(type='DistributionMatching'))
