# The supervised-only baseline of the long-tailed FixMatch demo: the
# labelled digits alone (20 to 2 per class), same model and schedule.
_base_ = ['./fixmatch_lt-digits-semi-lt.py']
model = dict(type='ImageClassifier')
train_dataloader = dict(
    _delete_=True,
    batch_size={{_base_.labelled_batch}},
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset={{_base_.supervised_set}})
