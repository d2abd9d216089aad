# Supervised-only on the labelled quarter, 3,000 iterations.
_base_ = ['./fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-8-64x64.py']
split_dir = 'data/lt_digit_scenes/splits/1_4'
train_dataloader = dict(
    dataset=dict(split_file=f'{split_dir}/labeled.txt'))
