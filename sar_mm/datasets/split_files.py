"""UniMatch-style split files: reading, choosing and writing them.

The format (``splits/`` of github.com/LiheYoung/UniMatch): one sample per
line, ``<image> <mask>`` relative to the dataset's ``data_root``, separated
by one space; ``labeled.txt`` and ``unlabeled.txt`` side by side in one
folder per labelled share (``splits/1_8/``). :class:`SemiSplitDataset`
reads them; ``LTDigitScenes`` and ``tools/dataset_converters/
make_splits.py`` write them with the functions here.
"""
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

LABELLED_FILE = 'labeled.txt'
UNLABELLED_FILE = 'unlabeled.txt'


def read_split_lines(path: str) -> List[Tuple[int, List[str]]]:
    """``(line number, columns)`` of the non-blank lines of a split file."""
    with open(path) as f:
        lines = [(n, line.split()) for n, line in enumerate(f, 1)]
    return [(n, cols) for n, cols in lines if cols]


def split_line(img_path: str, seg_map_path: str, data_root: str) -> str:
    """The split-file line of one sample: its image and mask relative to
    ``data_root`` (paths are kept with forward slashes, as UniMatch's)."""
    rel = [
        osp.relpath(path, data_root or '.').replace(os.sep, '/')
        for path in (img_path, seg_map_path)
    ]
    return f'{rel[0]} {rel[1]}\n'


def labelled_count(num_samples: int, fraction: float) -> int:
    """How many of ``num_samples`` a labelled ``fraction`` keeps: rounded
    down (UniMatch's 1/k splits), at least one."""
    return max(1, int(num_samples * fraction))


def covering_samples(present: np.ndarray, order: Sequence[int]) -> List[int]:
    """Samples that together hold every class present in any of them: for
    each class, rarest first, the earliest sample of ``order`` holding it,
    unless an earlier pick already does.

    A split whose first samples in ``order`` already hold every class
    contains all of them, so giving them to :func:`nested_labelled` as
    ``must_have`` leaves such a split as it was.

    Args:
        present (np.ndarray): ``(num_samples, num_classes)`` bool, whether
            a sample's label map holds a class.
        order (Sequence[int]): Every sample index, in a seeded random order.

    Returns:
        list[int]: The picked sample indices, in the order picked.
    """
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.asarray(order)] = np.arange(len(order))
    picked = []
    for c in np.argsort(present.sum(0), kind='stable'):
        holders = np.flatnonzero(present[:, c])
        if len(holders) and not present[picked, c].any():
            picked.append(int(holders[rank[holders].argmin()]))
    return picked


def nested_labelled(order: Sequence[int], counts: Sequence[int],
                    must_have: Sequence[int] = ()) -> Dict[int, List[int]]:
    """Labelled samples of several sizes, each split inside the larger
    ones: ``must_have`` first, then the samples in ``order``.

    Args:
        order (Sequence[int]): Every sample index, in a seeded random order.
        counts (Sequence[int]): The labelled set sizes.
        must_have (Sequence[int]): Samples every labelled set holds (e.g.
            one per class, :func:`covering_samples`); a set smaller than
            them holds their first ones.

    Returns:
        dict[int, list[int]]: The labelled indices of each count.
    """
    first = list(dict.fromkeys(must_have))
    chosen = set(first)
    ranked = first + [i for i in order if i not in chosen]
    return {count: ranked[:count] for count in counts}


def write_split_pair(folder: str, lines: Sequence[str],
                     labelled: Sequence[int]) -> Tuple[str, str]:
    """Write ``labeled.txt`` (the ``labelled`` lines) and ``unlabeled.txt``
    (the rest) into ``folder``, each sorted. Each file is written beside
    its place and renamed into it, so no reader sees half a file.

    Returns:
        tuple[str, str]: The paths of the labelled and unlabelled files.
    """
    os.makedirs(folder, exist_ok=True)
    picked = set(labelled)
    parts = ((LABELLED_FILE, [lines[i] for i in sorted(picked)]),
             (UNLABELLED_FILE,
              [line for i, line in enumerate(lines) if i not in picked]))
    paths = []
    for name, part in parts:
        path = osp.join(folder, name)
        tmp = f'{path}.tmp-{os.getpid()}'
        with open(tmp, 'w') as f:
            f.writelines(sorted(part))
        os.replace(tmp, path)
        paths.append(path)
    return tuple(paths)
