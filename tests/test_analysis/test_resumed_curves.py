"""A work dir's curves join its runs: ``--resume`` continues a curve, a
new run from scratch replaces it; per-class results of a work dir come
from its newest run."""
import json

import numpy as np

from sar_mm.analysis.results import read_per_class, read_scalars


def write_run(work_dir, stamp, records):
    path = work_dir / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def train(step, loss):
    return dict(step=step, lr=0.1, loss=loss)


def test_a_resumed_run_continues_the_curve(tmp_path):
    # iterations 1-6, validation at 4; the run stopped after 6 and was
    # resumed from the checkpoint of iteration 4
    write_run(tmp_path, '20260101_000000',
              [train(s, 10 - s) for s in range(1, 7)] +
              [dict(step=4, mIoU=40.0)])
    write_run(tmp_path, '20260101_010000',
              [train(s, 20 - s) for s in range(5, 9)] +
              [dict(step=8, mIoU=80.0)])
    curves = read_scalars(str(tmp_path))
    expected = [(s, 10 - s) for s in range(1, 5)] + \
        [(s, 20 - s) for s in range(5, 9)]
    np.testing.assert_array_equal(curves.train['loss'], expected)
    np.testing.assert_array_equal(curves.val['mIoU'], [(4, 40), (8, 80)])


def test_a_new_run_from_scratch_replaces_the_curve(tmp_path):
    write_run(tmp_path, '20260101_000000',
              [train(s, 1.0) for s in range(1, 4)])
    write_run(tmp_path, '20260101_010000',
              [train(s, 2.0) for s in range(1, 3)])
    curves = read_scalars(str(tmp_path))
    np.testing.assert_array_equal(curves.train['loss'], [(1, 2), (2, 2)])


def test_per_class_results_of_a_work_dir(tmp_path):
    write_run(tmp_path, '20260101_000000',
              [{'step': 4, 'IoU.a': 1.0, 'IoU.b': 2.0}])
    write_run(tmp_path, '20260101_010000',
              [{'step': 8, 'IoU.a': 3.0, 'IoU.b': 4.0}])
    prefix, values = read_per_class(str(tmp_path), ['a', 'b'])
    assert prefix == 'IoU.'
    np.testing.assert_array_equal(values, [3.0, 4.0])
