"""The layout of the analysis figures: what each panel shows, checked on
the matplotlib figure before it is saved."""
from collections import OrderedDict

import numpy as np
import pytest

from sar_mm.analysis import plots
from sar_mm.analysis.class_info import ClassInfo

INFO = ClassInfo(('background', 'square', 'zero', 'one'),
                 np.array([0.8, 0.1996, 0.0003, 0.0001]),
                 OrderedDict(head=[0], medium=[1], tail=[2, 3]), 'by hand')


@pytest.fixture
def figure(monkeypatch):
    """The figure a plot function saves, kept open for the test."""
    saved = []
    monkeypatch.setattr(plots, 'save', lambda fig, path: saved.append(fig))
    yield saved
    for fig in saved:
        plots.plt.close(fig)


def tick_labels(labels):
    return [label.get_text() for label in labels]


def test_only_the_first_heatmap_names_the_rows(figure):
    """The rows are the same classes in every panel; names on a right
    panel run into the numbers of the panel on its left."""
    rng = np.random.default_rng(0)
    plots.plot_similarities([('anchors', rng.normal(size=(4, 3))),
                             ('classifier', rng.normal(size=(4, 3)))],
                            INFO, 'unused.png', 700, 600)
    left, right = figure[0].axes[:2]
    assert tick_labels(left.get_yticklabels()) == list(INFO.names)
    assert set(tick_labels(right.get_yticklabels())) == {''}
    # the columns keep their names in both panels
    for ax in (left, right):
        assert tick_labels(ax.get_xticklabels()) == list(INFO.names)


def test_the_rarest_class_has_a_visible_frequency_bar(figure):
    plots.plot_per_class([('run', np.array([90., 60., 10., 5.]))], INFO,
                         'IoU', 'unused.png', 900, 500)
    freq_ax = figure[0].axes[1]
    bottom, _ = freq_ax.get_ylim()
    heights = [bar.get_height() for bar in freq_ax.patches]
    assert min(heights) == pytest.approx(0.01)  # 0.0001 in %
    # a decade below it on the log axis: the bar is as tall as a decade
    assert bottom == pytest.approx(0.001)


@pytest.mark.parametrize('num_classes,width,height,written', [
    (4, 700, 600, True),
    (11, 700, 600, False),  # 11 cells of ~18 px: the values would overlap
    (11, 1400, 800, True),
])
def test_values_are_written_where_a_cell_holds_them(figure, num_classes,
                                                    width, height, written):
    info = ClassInfo(tuple(map(str, range(num_classes))), None,
                     OrderedDict(head=list(range(num_classes)), medium=[],
                                 tail=[]), 'by hand')
    rng = np.random.default_rng(0)
    plots.plot_similarities(
        [(name, rng.normal(size=(num_classes, 3))) for name in 'ab'], info,
        'unused.png', width, height)
    for ax in figure[0].axes[:2]:
        assert len(ax.texts) == (num_classes**2 if written else 0)
