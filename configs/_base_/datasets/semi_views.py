# The views of UniMatch's semi-supervised batches (dataset/semi.py and
# dataset/transform.py of github.com/LiheYoung/UniMatch). The geometry of
# an unlabelled sample is shared and comes before MultiBranch; the weak view
# is that geometry only; a strong view adds, with the reference's
# probabilities: colour jitter (0.5, 0.5, 0.5, 0.25) with p 0.8, greyscale
# with p 0.2 (ITU-R 601 weights in BGR order, mmseg images are BGR),
# Gaussian blur with sigma ~ U(0.1, 2) with p 0.5, and a CutMix box with
# p 0.5 (the model pastes the mirror sample of the batch into it).
weak_view = [dict(type='PackSegInputs')]
strong_view = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.5,
                contrast=0.5,
                saturation=0.5,
                hue=0.25)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.299)),
    dict(
        type='mmpretrain.GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomCutMixBox', prob=0.5),
    dict(
        type='PackSegInputs',
        meta_keys=('img_path', 'ori_shape', 'img_shape', 'pad_shape',
                   'scale_factor', 'flip', 'flip_direction', 'cutmix_box')),
]
# UniMatch's branches: the last step of the labelled and the unlabelled
# pipelines; batches of 2 labelled + 2 unlabelled images per GPU
unimatch_branches = ['sup', 'unsup_weak', 'unsup_strong1', 'unsup_strong2']
labelled_views = dict(
    type='MultiBranch',
    branch_field=unimatch_branches,
    sup=[dict(type='PackSegInputs')])
unlabelled_views = dict(
    type='MultiBranch',
    branch_field=unimatch_branches,
    unsup_weak=weak_view,
    unsup_strong1=strong_view,
    unsup_strong2=strong_view)
semi_sampler = dict(
    _delete_=True,
    type='MultiSourceSampler',
    batch_size=4,
    source_ratio=[1, 1])
# UniMatch evaluates whole images at their own size
whole_image_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
