# UniMatch on LTDigitScenes 1/8: the FixMatch demo with the feature-
# perturbation stream and two strong views per unlabelled scene.
_base_ = ['./fixmatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py']

model = dict(type='UniMatchSegmentor')

branch_field = ['sup', 'unsup_weak', 'unsup_strong1', 'unsup_strong2']
labelled = dict(
    _base_.labelled,
    pipeline=_base_.train_pipeline[:-1] + [
        dict(
            type='MultiBranch',
            branch_field=branch_field,
            sup=[dict(type='PackSegInputs')])
    ])
unlabelled = dict(
    _base_.unlabelled,
    pipeline=_base_.unlabelled_geometry + [
        dict(
            type='MultiBranch',
            branch_field=branch_field,
            unsup_weak=_base_.weak_view,
            unsup_strong1=_base_.strong_view,
            unsup_strong2=_base_.strong_view)
    ])
train_dataloader = dict(dataset=dict(datasets=[labelled, unlabelled]))
