"""The figures of the analysis tools (matplotlib, Agg backend).

Every figure has a fixed size in pixels (``width x height`` at 100 dpi)
and is saved without tight bounding boxes, so the PNG has exactly that
size. Classes are shown with their dataset names, ordered head to tail;
colours follow the class, marker shapes the head / medium / tail group.
"""
import fnmatch
import math
from typing import List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ..utils.class_groups import group_of_classes, head_to_tail  # noqa: E402
from .class_info import ClassInfo  # noqa: E402
from .results import Curves  # noqa: E402

DPI = 100
GROUP_MARKERS = ('o', 's', '^', 'D', 'v')
LINE_STYLES = ('-', '--', ':', '-.')
#: Validation keys left out of the curves by default (one per class).
PER_CLASS_KEYS = ('IoU.*', 'Acc.*', 'accuracy/per_class/*')


def new_figure(width: int, height: int, **kwargs):
    """A ``width x height`` pixel figure and its axes (``plt.subplots``)."""
    return plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI,
                        **kwargs)


def save(fig, path: str) -> None:
    """Save at the figure's exact pixel size and close it."""
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def class_colours(num_classes: int) -> np.ndarray:
    """One RGBA colour per class: tab10, then tab20's light shades (so
    that up to 10 classes never share a hue), else evenly spaced hues."""
    if num_classes <= 20:
        # tab20 pairs each dark hue with its light shade: darks first
        order = np.r_[np.arange(0, 20, 2), np.arange(1, 20, 2)]
        return plt.get_cmap('tab20')(order[:num_classes])
    return plt.get_cmap('hsv')(np.linspace(0, 1, num_classes,
                                           endpoint=False))


def _group_style(info: ClassInfo) -> dict:
    """Group name -> (marker, size, alpha, z-order): later (rarer) groups
    are drawn bigger, more opaque, edged and on top."""
    style = {}
    for i, group in enumerate(info.groups):
        tail = i == len(info.groups) - 1 and len(info.groups) > 1
        style[group] = dict(
            marker=GROUP_MARKERS[i % len(GROUP_MARKERS)],
            s=22 if tail else 8 + 4 * i,
            alpha=0.95 if tail else 0.55,
            zorder=3 + i,
            edgecolors='black' if tail else 'none',
            linewidths=0.4 if tail else 0)
    return style


def _class_legend(fig, info: ClassInfo, colours: np.ndarray) -> None:
    style = _group_style(info)
    group_of = group_of_classes(info.groups)
    handles = [
        Line2D([], [],
               linestyle='none',
               marker=style[group_of[c]]['marker'],
               markerfacecolor=colours[c],
               markeredgecolor='black'
               if style[group_of[c]]['linewidths'] else colours[c],
               markersize=6,
               label=f'{info.names[c]} ({group_of[c]})')
        for c in head_to_tail(info.groups)
    ] if info.num_classes <= 30 else [
        Line2D([], [], linestyle='none', marker=s['marker'], color='grey',
               markersize=6, label=g) for g, s in style.items()
    ]
    fig.legend(handles=handles, loc='center right', fontsize=7,
               title='class (group)', title_fontsize=8, frameon=False)


def plot_embeddings(panels: Sequence[Tuple[str, np.ndarray, np.ndarray,
                                           Optional[np.ndarray]]],
                    info: ClassInfo, path: str, width: int,
                    height: int) -> None:
    """Scatter plots of 2-D embedded features, one panel per model.

    Args:
        panels: ``(title, xy (N, 2), labels (N, ), anchors_xy (C, 2) or
            None)`` per panel.
        info (ClassInfo): Names and groups of the classes.
        path (str): Output PNG.
        width (int): Width in pixels.
        height (int): Height in pixels.
    """
    fig, axes = new_figure(width, height, ncols=len(panels), squeeze=False)
    colours = class_colours(info.num_classes)
    style = _group_style(info)
    for ax, (title, xy, labels, anchors_xy) in zip(axes[0], panels):
        for group, members in info.groups.items():
            for c in members:
                points = xy[labels == c]
                ax.scatter(points[:, 0], points[:, 1], color=colours[c],
                           **style[group])
        if anchors_xy is not None:
            ax.scatter(anchors_xy[:, 0], anchors_xy[:, 1], marker='*', s=220,
                       c=colours[:len(anchors_xy)], edgecolors='black',
                       linewidths=1.0, zorder=10)
            for c, (x, y) in enumerate(anchors_xy):
                ax.annotate(info.names[c], (x, y), xytext=(4, 4),
                            textcoords='offset points', fontsize=7,
                            zorder=11)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    _class_legend(fig, info, colours)
    if any(p[3] is not None for p in panels):
        fig.text(0.01, 0.01, '★ semantic anchors', fontsize=8)
    fig.subplots_adjust(left=0.02, right=0.84, top=0.92, bottom=0.05,
                        wspace=0.05)
    save(fig, path)


def cosine_similarity(vectors: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity of the rows of ``vectors``."""
    unit = vectors / np.maximum(
        np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


def plot_similarities(panels: Sequence[Tuple[str, np.ndarray]],
                      info: ClassInfo, path: str, width: int,
                      height: int) -> None:
    """Heatmaps of the cosine similarity between class vectors, classes
    head to tail, one panel per set of vectors.

    Args:
        panels: ``(title, vectors (C, D))`` per panel.
        info (ClassInfo): Names and groups of the classes.
        path (str): Output PNG.
        width (int): Width in pixels.
        height (int): Height in pixels.
    """
    order = head_to_tail(info.groups)
    names = [info.names[c] for c in order]
    fig, axes = new_figure(width, height, ncols=len(panels), squeeze=False)
    image, sims = None, []
    for k, (ax, (title, vectors)) in enumerate(zip(axes[0], panels)):
        sim = cosine_similarity(np.asarray(vectors, np.float64))[order][:,
                                                                       order]
        sims.append(sim)
        image = ax.imshow(sim, cmap='RdBu_r', vmin=-1, vmax=1)
        ticks = np.arange(len(order))
        fontsize = 8 if len(order) <= 30 else 5
        if len(order) <= 60:
            ax.set_xticks(ticks, names, rotation=90, fontsize=fontsize)
            # the rows are the same classes in every panel: names on the
            # first only, where they cannot run into the panel on the left
            ax.set_yticks(ticks, names if k == 0 else [], fontsize=fontsize)
        # lines between the groups
        edge = -0.5
        for members in list(info.groups.values())[:-1]:
            edge += len(members)
            ax.axhline(edge, color='black', linewidth=0.8)
            ax.axvline(edge, color='black', linewidth=0.8)
        # a long title on two lines, clear of the next panel's
        ax.set_title(title.replace(' (', '\n('), fontsize=9)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label='cosine')
    for ax, sim in zip(axes[0], sims):
        # the values, where a cell (its size known once the colour bar has
        # taken its share) holds '-0.00' at 6 points
        box = ax.get_position()
        if min(box.width * width, box.height * height) / len(order) < 26:
            continue
        for i in range(len(order)):
            for j in range(len(order)):
                ax.text(j, i, f'{sim[i, j]:.2f}', ha='center', va='center',
                        fontsize=6,
                        color='white' if abs(sim[i, j]) > 0.6 else 'black')
    save(fig, path)


def log_bars(ax, x, heights, **kwargs) -> None:
    """Bars on a log axis with a decade of room below the shortest, whose
    bar would otherwise start at the axis' bottom and not show.

    Args:
        ax: The axes.
        x: Positions of the bars.
        heights: Their heights; those of 0 cannot show on a log axis.
        **kwargs: Passed to ``ax.bar``.
    """
    heights = np.asarray(heights, np.float64)
    ax.bar(x, heights, **kwargs)
    ax.set_yscale('log')
    if (heights > 0).any():
        ax.set_ylim(bottom=heights[heights > 0].min() / 10)


def plot_per_class(series: Sequence[Tuple[str, np.ndarray]], info: ClassInfo,
                   metric: str, path: str, width: int, height: int) -> None:
    """A per-class metric of one or several runs against class frequency,
    classes sorted head to tail.

    Args:
        series: ``(label, values (C, ))`` per run; NaN where undefined.
        info (ClassInfo): Names, frequencies and groups of the classes.
        metric (str): Name of the metric, for the axis.
        path (str): Output PNG.
        width (int): Width in pixels.
        height (int): Height in pixels.
    """
    order = head_to_tail(info.groups)
    x = np.arange(len(order))
    fig, ax = new_figure(width, height)
    if info.frequencies is not None:
        freq_ax = ax.twinx()
        log_bars(freq_ax, x,
                 np.asarray(info.frequencies)[order] * 100,
                 color='lightgrey', width=0.8, zorder=0)
        freq_ax.set_ylabel('training frequency (%, bars)')
        ax.set_zorder(freq_ax.get_zorder() + 1)
        ax.patch.set_visible(False)
    markers = ['o', 's', '^', 'D', 'v', 'P']
    for i, (label, values) in enumerate(series):
        values = np.asarray(values, np.float64)[order]
        ax.plot(x, values, marker=markers[i % len(markers)], markersize=4,
                linewidth=1.2,
                label=f'{label} (mean {np.nanmean(values):.1f})')
    edge = -0.5
    for group, members in info.groups.items():
        if not members:
            continue
        ax.text(edge + len(members) / 2, 1.01, group, ha='center',
                va='bottom', transform=ax.get_xaxis_transform(), fontsize=8)
        edge += len(members)
        if edge < len(order) - 0.5:
            ax.axvline(edge, color='black', linestyle='--', linewidth=0.8)
    ax.set_xticks(x, [info.names[c] for c in order], rotation=90,
                  fontsize=8 if len(order) <= 40 else 5)
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_ylabel(metric)
    ax.legend(fontsize=8, loc='lower left')
    ax.set_xlabel('classes, head to tail')
    fig.tight_layout()
    save(fig, path)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    # valid part only: no edge effects at the start of training
    return np.convolve(values, kernel, mode='valid')


def _panel_of(key: str, phase: str) -> Optional[str]:
    if phase == 'val':
        return 'validation'
    if key == 'lr':
        return 'learning rate'
    if key.startswith('sar_'):
        return 'SAR gate and anchor accuracy'
    if key == 'loss' or 'loss' in key.split('.')[-1]:
        return 'losses'
    return None


def curve_panels(runs: Sequence[Tuple[str, Curves]],
                 keys: Optional[Sequence[str]] = None) -> dict:
    """Panel title -> the ``(phase, key)`` pairs shown in it.

    Default keys: every loss (``loss``, ``decode.loss_ce``,
    ``loss_sar_*``...), the ``sar_*`` values, ``lr`` and every validation
    metric except per-class ones. ``keys`` (fnmatch patterns) replaces
    them, e.g. ``['loss_sar_*', 'mIoU*']``.
    """
    panels = {}
    for _, curves in runs:
        for phase, scalars in (('train', curves.train), ('val', curves.val)):
            for key in scalars:
                if keys is not None:
                    if not any(fnmatch.fnmatchcase(key, p) for p in keys):
                        continue
                elif phase == 'val' and any(
                        fnmatch.fnmatchcase(key, p) for p in PER_CLASS_KEYS):
                    continue
                panel = _panel_of(key, phase) or 'other'
                if keys is None and panel == 'other':
                    continue
                entries = panels.setdefault(panel, [])
                if (phase, key) not in entries:
                    entries.append((phase, key))
    return panels


def plot_curves(runs: Sequence[Tuple[str, Curves]], path: str, width: int,
                height: int, keys: Optional[Sequence[str]] = None,
                smooth: int = 1) -> List[str]:
    """Training curves of one or several runs, one panel per kind of value
    (losses, SAR, learning rate, validation); colour by key, line style by
    run.

    Args:
        runs: ``(label, curves)`` per run.
        path (str): Output PNG.
        width (int): Width in pixels.
        height (int): Height in pixels.
        keys (Sequence[str], optional): fnmatch patterns of the keys to
            show (see :func:`curve_panels`).
        smooth (int): Moving-average window over logged training points.
            Defaults to 1 (none).

    Returns:
        list[str]: The keys plotted.
    """
    panels = curve_panels(runs, keys)
    if not panels:
        raise ValueError('no curve to plot')
    ncols = min(2, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = new_figure(width, height, nrows=nrows, ncols=ncols,
                           squeeze=False)
    colours = plt.get_cmap('tab10').colors
    for ax, (title, entries) in zip(axes.flat, panels.items()):
        for k, (phase, key) in enumerate(entries):
            for r, (label, curves) in enumerate(runs):
                data = getattr(curves, phase).get(key)
                if data is None:
                    continue
                values = data[:, 1] if phase == 'val' else _smooth(
                    data[:, 1], smooth)
                steps = data[len(data) - len(values):, 0]
                ax.plot(steps, values, color=colours[k % len(colours)],
                        linestyle=LINE_STYLES[r % len(LINE_STYLES)],
                        marker='o' if phase == 'val' and len(values) < 30
                        else None, markersize=3, linewidth=1.0)
        ax.set_title(title, fontsize=9)
        units = {c.val_unit for _, c in runs}
        ax.set_xlabel('/'.join(sorted(units)) if title == 'validation' else
                      'iteration', fontsize=8)
        ax.tick_params(labelsize=7)
        if title == 'learning rate':
            ax.set_yscale('log')
        handles = [
            Line2D([], [], color=colours[k % len(colours)], label=key)
            for k, (_, key) in enumerate(entries)
        ]
        if len(runs) > 1:
            handles += [
                Line2D([], [], color='black',
                       linestyle=LINE_STYLES[r % len(LINE_STYLES)],
                       label=label) for r, (label, _) in enumerate(runs)
            ]
        ax.legend(handles=handles, fontsize=6, loc='best')
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    save(fig, path)
    return [key for entries in panels.values() for _, key in entries]
