"""Reading what training and testing wrote: per-class results and the
training curves of ``vis_data/scalars.json``."""
import glob
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..evaluation.metrics.metric_key_name import metric_key_name
from ..utils.errors import UserInputError

#: Per-class key prefix -> metric name, of the LT metrics, tried in
#: order: LTIoUMetric (``IoU.<class>``, ``Acc.<class>``) and LTAccuracy.
PER_CLASS_PREFIXES = {
    'IoU.': 'IoU',
    'accuracy/per_class/': 'accuracy',
    'Acc.': 'Acc'
}


def _json_records(path: str) -> List[dict]:
    """A JSON file holding one dict, or JSON lines (``scalars.json``)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as err:
        raise UserInputError(f'cannot read {path}: {err.strerror}') from None
    try:
        data = json.loads(text)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            records = [json.loads(ln) for ln in text.splitlines() if ln]
        except json.JSONDecodeError as err:
            raise UserInputError(
                f'{path} is neither JSON nor JSON lines ({err}).') from None
    return [r for r in records if isinstance(r, dict)]


def read_per_class(path: str, class_names: Sequence[str],
                   prefix: str = None) -> Tuple[str, np.ndarray]:
    """Per-class results of a metrics file.

    Reads the JSON of ``tools/test.py --work-dir`` (one dict), or a
    ``scalars.json`` (its last record with per-class keys), or of a work
    dir of ``tools/train.py`` its newest ``scalars.json``.

    Args:
        path (str): The file or work dir.
        class_names (Sequence[str]): Class names, by index.
        prefix (str, optional): Key prefix of the per-class values, e.g.
            ``'IoU.'``. Defaults to the first of :data:`PER_CLASS_PREFIXES`
            the file has.

    Returns:
        tuple[str, np.ndarray]: The prefix, and the ``(C, )`` values (NaN
        for classes without a value, e.g. absent from the test set).
    """
    prefixes = [prefix] if prefix else list(PER_CLASS_PREFIXES)
    if osp.isdir(path):
        path = find_scalars(path)
    for record in reversed(_json_records(path)):
        for p in prefixes:
            if any(k.startswith(p) for k in record):
                return p, np.array([
                    record.get(f'{p}{metric_key_name(name)}',
                               record.get(f'{p}{name}', np.nan))
                    for name in class_names
                ], dtype=np.float64)
    raise UserInputError(
        f'{path} has no per-class results (keys starting with '
        f'{" or ".join(prefixes)}); evaluate with LTIoUMetric or LTAccuracy '
        f'and pass the JSON of tools/test.py --work-dir.')


def find_scalars(path: str) -> str:
    """``path`` itself if it is a file, else the newest
    ``<timestamp>/vis_data/scalars.json`` of the work dir ``path``."""
    return scalars_files(path)[-1]


def scalars_files(path: str) -> List[str]:
    """``[path]`` if it is a file, else every
    ``<timestamp>/vis_data/scalars.json`` of the work dir ``path``, oldest
    first (a run and its ``--resume`` continuations)."""
    if osp.isfile(path):
        return [path]
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data',
                                      'scalars.json')))
    if not found:
        raise UserInputError(
            f'no */vis_data/scalars.json under {path}: pass a work dir of '
            f'tools/train.py or a scalars.json file.')
    return found


@dataclass
class Curves:
    """The scalars of one training run.

    Attributes:
        train (dict[str, np.ndarray]): Key -> ``(n, 2)`` ``(iteration,
            value)`` of the training log (losses, ``lr``, ``sar_*``...).
        val (dict[str, np.ndarray]): Key -> ``(n, 2)`` ``(step, value)`` of
            the validation metrics.
        val_unit (str): ``'epoch'`` or ``'iteration'``: what the
            validation steps count (mmengine logs them by epoch in
            epoch-based training).
    """
    train: Dict[str, np.ndarray]
    val: Dict[str, np.ndarray]
    val_unit: str


def read_scalars(path: str) -> Curves:
    """Training and validation curves of a scalars.json, or of a work dir:
    all its runs joined, so that a run resumed with ``--resume`` gives
    one curve from its first iteration (a later run replaces the steps
    from its first one on: a resumed run continues, a new run from
    scratch replaces everything)."""
    train: Dict[str, list] = {}
    val: Dict[str, list] = {}
    by_epoch = False
    for file in scalars_files(path):
        run_train, run_val, run_by_epoch = _read_run(file)
        for joined, run in ((train, run_train), (val, run_val)):
            steps = [step for points in run.values() for step, _ in points]
            if not steps:
                continue
            first = min(steps)
            for key in list(joined):
                joined[key] = [p for p in joined[key] if p[0] < first]
            for key, points in run.items():
                joined.setdefault(key, []).extend(points)
        by_epoch = by_epoch or run_by_epoch
    return Curves(_as_arrays(train), _as_arrays(val),
                  'epoch' if by_epoch else 'iteration')


def _read_run(path: str) -> Tuple[Dict[str, list], Dict[str, list], bool]:
    """The training and validation points of one scalars.json, and whether
    its training was epoch-based."""
    train: Dict[str, list] = {}
    val: Dict[str, list] = {}
    by_epoch = False
    skip = {'step', 'iter', 'epoch', 'time', 'data_time', 'memory'}
    for record in _json_records(path):
        step = record.get('step')
        if step is None:
            continue
        # training records carry the learning rate, validation ones not
        target = train if 'lr' in record or any(
            k.startswith('loss') for k in record) else val
        for key, value in record.items():
            if key not in skip and isinstance(value, (int, float)):
                target.setdefault(key, []).append((step, value))
        by_epoch = by_epoch or (target is train and 'epoch' in record)
    return train, val, by_epoch


def _as_arrays(curves: Dict[str, list]) -> Dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in curves.items()}
