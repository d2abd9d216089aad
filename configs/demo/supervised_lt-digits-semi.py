# The supervised-only baseline of the FixMatch demo: the same model,
# schedule and EMA evaluation, trained on the 50 labelled digits alone
# (weak view, batch 8).
_base_ = ['./fixmatch_lt-digits-semi.py']
model = dict(type='ImageClassifier')
train_dataloader = dict(
    _delete_=True,
    batch_size={{_base_.labelled_batch}},
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset={{_base_.supervised_set}})
