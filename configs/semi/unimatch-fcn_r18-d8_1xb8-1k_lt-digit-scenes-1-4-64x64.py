# UniMatch on LTDigitScenes with a quarter of the train scenes labelled.
_base_ = ['./unimatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py']
split_dir = 'data/lt_digit_scenes/splits/1_4'
labelled = dict(_base_.labelled, split_file=f'{split_dir}/labeled.txt')
unlabelled = dict(_base_.unlabelled, split_file=f'{split_dir}/unlabeled.txt')
train_dataloader = dict(dataset=dict(datasets=[labelled, unlabelled]))
