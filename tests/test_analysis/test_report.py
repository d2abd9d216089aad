"""The geometry report: JSON-safe values, tables, side-by-side markdown."""
import json
import re
from collections import OrderedDict

import numpy as np
import torch

from sar_mm.analysis.class_info import ClassInfo
from sar_mm.analysis.features import FeatureSet
from sar_mm.analysis.geometry import feature_geometry
from sar_mm.analysis.report import (comparison_markdown, format_table,
                                    geometry_report)


def report(with_anchors: bool) -> dict:
    feats = torch.tensor([[1., 0.], [0.9, 0.1], [0., 1.], [-1., -1.]])
    labels = torch.tensor([0, 0, 1, 2])  # class 3 has no feature
    anchors = torch.ones(4, 2) if with_anchors else None
    geometry = feature_geometry(feats, labels, 4, anchors=anchors)
    info = ClassInfo(('a', 'b', 'c', 'd'), np.array([.7, .2, .05, .05]),
                     OrderedDict(head=[0], medium=[1], tail=[2, 3]), 'test')
    features = FeatureSet(feats, labels, np.array([5, 1, 1, 0]), 2,
                          'segmentation')
    return geometry_report(geometry, info, features, config='x.py')


def test_report_is_json_with_nulls_for_undefined_values():
    data = report(with_anchors=False)
    text = json.dumps(data, allow_nan=False)  # no NaN reaches the file
    assert json.loads(text)['per_class']['nc1'][3] is None
    assert data['num_features'] == [2, 1, 1, 0]
    assert data['groups'] == dict(head=[0], medium=[1], tail=[2, 3])
    assert data['source'] == dict(config='x.py')


def test_tables():
    table = format_table(report(with_anchors=True))
    assert 'per class, head to tail (groups from test)' in table
    assert 'anchor cos' in table and 'simplex angle' in table
    # the class without features is listed, its numbers undefined
    assert re.search(r'\|\s+d\s+\|\s+tail\s+\|\s+0\s+\|\s+-\s+\|', table)

    markdown = comparison_markdown(
        [report(with_anchors=False), report(with_anchors=True)],
        ['baseline', 'SAR'])
    lines = markdown.splitlines()
    assert lines[0] == '| number | baseline | SAR |'
    assert any(ln.startswith('| NC1 ↓ |') for ln in lines)
    # anchors only for the SAR column; no group rows for overall-only
    # numbers
    anchor = next(ln for ln in lines if ln.startswith('| anchor cos'))
    assert anchor.split('|')[2].strip() == '-'
    simplex = lines.index(next(ln for ln in lines
                               if ln.startswith('| simplex dist')))
    assert not lines[simplex + 1].startswith('| &nbsp;')
