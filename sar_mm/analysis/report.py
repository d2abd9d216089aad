"""The feature-geometry report: JSON, a printed table, a markdown table."""
import math
from typing import List, Optional, Sequence

from prettytable import PrettyTable

from .class_info import ClassInfo
from .features import FeatureSet
from .geometry import Geometry

FORMAT = 'sar_mm.feature_geometry'
FORMAT_VERSION = 1
#: Column titles of the per-class numbers (definitions:
#: :mod:`sar_mm.analysis.geometry`).
TITLES = dict(
    compactness='compact.',
    nc1='NC1',
    min_angle='min angle',
    mean_angle='mean angle',
    simplex_angle='simplex angle',
    simplex_dist='simplex dist',
    norm_cv='norm CV',
    alignment='W align',
    anchor_cos='anchor cos',
    anchor_dist='anchor dist')
#: Whether higher is better, for the markdown comparison.
HIGHER_IS_BETTER = dict(
    compactness=True,
    nc1=False,
    min_angle=True,
    simplex_dist=False,
    norm_cv=False,
    alignment=True,
    anchor_cos=True,
    anchor_dist=False)


def _number(value) -> Optional[float]:
    """JSON-safe float: NaN becomes None."""
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def geometry_report(geometry: Geometry,
                    info: ClassInfo,
                    features: FeatureSet,
                    **source) -> dict:
    """Everything :func:`~sar_mm.analysis.feature_geometry` measured, as a
    JSON-ready dict (NaN as null).

    Args:
        geometry (Geometry): The numbers.
        info (ClassInfo): Names and groups of the classes.
        features (FeatureSet): The features they were computed from.
        **source: Provenance stored under ``'source'`` (config,
            checkpoint, split, seed...).
    """
    return dict(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        source=source,
        task=features.task,
        feature_dim=int(features.features.shape[1]),
        num_images=features.num_images,
        classes=list(info.names),
        groups={name: list(members)
                for name, members in info.groups.items()},
        group_source=info.source,
        label_counts=[int(n) for n in features.label_counts],
        num_features=[int(n) for n in geometry.num_features],
        overall={k: _number(v)
                 for k, v in geometry.overall.items()},
        groups_mean={
            group: {k: _number(v)
                    for k, v in values.items()}
            for group, values in geometry.group_means(info.groups).items()
        },
        per_class={
            k: [_number(v) for v in values]
            for k, values in geometry.per_class.items()
        })


def _fmt(value, metric: str = '') -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    # angles in degrees need no more than a tenth
    return f'{value:.1f}' if 'angle' in metric else f'{value:.3f}'


def format_table(report: dict) -> str:
    """The per-class numbers (head to tail), the group means and the
    overall numbers of a report as text tables."""
    metrics = list(report['per_class'])
    group_of = {
        c: g
        for g, members in report['groups'].items() for c in members
    }
    per_class = PrettyTable()
    per_class.field_names = ['class', 'group', 'features'] + [
        TITLES[m] for m in metrics
    ]
    for group, members in report['groups'].items():
        for c in members:
            per_class.add_row(
                [report['classes'][c], group_of[c], report['num_features'][c]]
                + [_fmt(report['per_class'][m][c], m) for m in metrics])
    groups = PrettyTable()
    groups.field_names = ['group', 'classes'] + [TITLES[m] for m in metrics]
    for group, values in report['groups_mean'].items():
        groups.add_row([group, len(report['groups'][group])] +
                       [_fmt(values[m], m) for m in metrics])
    overall = PrettyTable()
    overall.field_names = [TITLES[m] for m in report['overall']]
    overall.add_row([_fmt(v, m) for m, v in report['overall'].items()])
    return '\n'.join([
        f'per class, head to tail (groups from {report["group_source"]}):',
        per_class.get_string(), 'per group (mean over its classes):',
        groups.get_string(), 'overall:',
        overall.get_string()
    ])


def comparison_markdown(reports: Sequence[dict],
                        labels: Sequence[str],
                        metrics: Optional[List[str]] = None) -> str:
    """A markdown table of several reports side by side: overall numbers
    and, for per-class numbers, their group means; one column per report
    (``-`` where a report lacks the number, e.g. anchors of a non-SAR
    model).

    Args:
        reports (Sequence[dict]): Reports of :func:`geometry_report`.
        labels (Sequence[str]): Column titles.
        metrics (list[str], optional): Numbers to show. Defaults to those
            of :data:`HIGHER_IS_BETTER` present in some report.
    """
    if metrics is None:
        metrics = [
            m for m in HIGHER_IS_BETTER
            if any(r['overall'].get(m) is not None for r in reports)
        ]
    lines = [
        '| number | ' + ' | '.join(labels) + ' |',
        '| --- | ' + ' | '.join('---:' for _ in labels) + ' |'
    ]
    for m in metrics:
        arrow = '↑' if HIGHER_IS_BETTER.get(m, True) else '↓'
        rows = [(f'{TITLES[m]} {arrow}', [r['overall'].get(m)
                                           for r in reports])]
        if any(m in r['per_class'] for r in reports):
            for group in reports[0]['groups_mean']:
                rows.append((f'&nbsp;&nbsp;{group}', [
                    r['groups_mean'].get(group, {}).get(m) for r in reports
                ]))
        for title, values in rows:
            lines.append(f'| {title} | ' +
                         ' | '.join(_fmt(v, m) for v in values) + ' |')
    return '\n'.join(lines) + '\n'

