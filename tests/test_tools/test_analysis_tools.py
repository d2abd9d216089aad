"""The analysis tools on the session's runs (tests/conftest.py): tiny FCN
baseline (work dir ``fcn``) and SAR (``sar``) on LTDigitScenes (8
iterations), tiny ResNet on LTDigits (``cls``, 1 epoch)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from tests.utils import REPO, TEST_CONFIGS, run_tool, run_tool_inprocess

pytestmark = pytest.mark.slow
BASE = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'
SAR = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py'
CLS = TEST_CONFIGS / 'resnet_tiny_lt-digits.py'
TOOLS = 'analysis_tools'


@pytest.fixture
def runs(tiny_fcn_run, tiny_sar_run, tiny_cls_run):
    """The folder of the three runs; the tools run there and write files
    of their own next to the runs."""
    return tiny_fcn_run.parent


def tool(name, *args, cwd):
    return run_tool([f'{TOOLS}/{name}', *args], cwd)


def assert_png(path, size):
    assert path.stat().st_size > 1000
    with Image.open(path) as image:
        assert image.format == 'PNG' and image.size == size


def assert_one_line_error(result, *parts):
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    errors = [
        ln for ln in result.stderr.splitlines() if ln.startswith('ERROR')
    ]
    assert len(errors) == 1, result.stderr[-2000:]
    for part in parts:
        assert part in errors[0], errors[0]


def test_feature_geometry_segmentation(runs):
    result = tool('feature_geometry.py', SAR, 'sar/iter_8.pth', '--out',
                  'geo', '--max-per-class', '50', '--device', 'cpu', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'per group (mean over its classes)' in result.stdout
    assert 'anchors: SAR projected anchors' in result.stdout
    report = json.loads((runs / 'geo' / 'geometry.json').read_text())
    assert report['task'] == 'segmentation'
    assert list(report['groups']) == ['head', 'medium', 'tail']
    assert 'class statistics' in report['group_source']
    assert max(report['num_features']) == 50
    # 6 val scenes: every labelled pixel is counted, sampled ones capped
    assert sum(report['label_counts']) == 6 * 64 * 64
    for key in ('compactness', 'nc1', 'min_angle', 'simplex_dist',
                'alignment', 'anchor_cos', 'anchor_dist'):
        assert isinstance(report['overall'][key], float), key
    assert set(report['groups_mean']['tail']) == set(report['per_class'])


def test_feature_tools_refuse_colour_masks(runs, tmp_path):
    """The features are labelled with the masks: checked as training
    checks them (a colour mask's first row would pass for its labels)."""
    shutil.copytree(runs / 'data', tmp_path / 'data')
    mask = next((tmp_path / 'data').glob('*/ann_dir/val/val_00002.png'))
    with Image.open(mask) as label:
        label.convert('RGB').save(mask)
    result = tool('feature_geometry.py', BASE, runs / 'fcn/iter_8.pth',
                  '--out', 'geo', '--device', 'cpu', cwd=tmp_path)
    assert_one_line_error(
        result, 'val_00002.png has shape (64, 64, 3) (RGB image), but a '
        'mask must be single-channel', '(1 of 6 masks of '
        'val_dataloader.dataset (LTDigitScenes) fail this check.)')


def test_feature_geometry_classification(runs):
    result = tool('feature_geometry.py', CLS, 'cls/epoch_1.pth', '--out',
                  'geo_cls', '--max-images', '60', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((runs / 'geo_cls' / 'geometry.json').read_text())
    assert report['task'] == 'classification'
    assert list(report['groups']) == ['many', 'medium', 'few']
    assert report['num_images'] == 60 and sum(report['num_features']) == 60
    assert 'anchor_cos' not in report['overall']
    assert report['feature_dim'] == 64


def test_plot_features_side_by_side(runs):
    result = tool('plot_features.py', BASE, 'fcn/iter_8.pth', '--compare',
                  SAR, 'sar/iter_8.pth', '--labels', 'baseline', 'SAR',
                  '--method', 'pca', '--max-per-class', '30', '--out',
                  'features.png', '--width', '800', '--height', '400',
                  cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_png(runs / 'features.png', (800, 400))


def test_plot_features_tsne_classification(runs):
    result = tool('plot_features.py', CLS, 'cls/epoch_1.pth', '--out',
                  'features_cls.png', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_png(runs / 'features_cls.png', (1000, 560))


def test_plot_anchors(runs):
    result = tool('plot_anchors.py', SAR, 'sar/iter_8.pth', '--kind',
                  'anchors', 'classifier', '--out', 'anchors.png', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_png(runs / 'anchors.png', (700, 600))
    result = tool('plot_anchors.py', CLS, 'cls/epoch_1.pth', '--key',
                  'head.fc.weight', '--out', 'fc.png', '--width', '300',
                  '--height', '250', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_png(runs / 'fc.png', (300, 250))


def test_plot_per_class(runs):
    scalars = [next((runs / wd).glob('*/vis_data/scalars.json'))
               for wd in ('fcn', 'sar')]
    result = tool('plot_per_class.py', *scalars, '--labels', 'baseline',
                  'SAR', '--config', BASE, '--out', 'per_class.png',
                  cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'per-class IoU of 2 run(s)' in result.stdout
    assert_png(runs / 'per_class.png', (900, 500))
    result = tool('plot_per_class.py',
                  next((runs / 'cls').glob('*/vis_data/scalars.json')),
                  '--config', CLS, '--out', 'per_class_cls.png', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'per-class accuracy' in result.stdout
    assert_png(runs / 'per_class_cls.png', (900, 500))


def test_plot_curves(runs):
    result = tool('plot_curves.py', 'fcn', 'sar', '--out', 'curves.png',
                  cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_png(runs / 'curves.png', (1000, 700))
    result = tool('plot_curves.py', 'sar', '--keys', 'loss_sar_*',
                  'sar_anchor_acc', '--out', 'sar.png', cwd=runs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert '3 curve(s) of 1 run(s)' in result.stdout


def test_anchors_of_a_non_sar_model(runs):
    result = tool('plot_anchors.py', BASE, 'fcn/iter_8.pth', '--out',
                  'x.png', cwd=runs)
    assert_one_line_error(result, 'EncoderDecoder has no anchors',
                          'not a SAR model')
    assert not (runs / 'x.png').exists()


def test_mismatched_checkpoint_lists_keys(runs):
    result = tool('feature_geometry.py', SAR, 'fcn/iter_8.pth', '--out',
                  'mismatch', cwd=runs)
    assert_one_line_error(
        result, 'fcn/iter_8.pth does not match the model of',
        'missing key(s) (in the model, not in the checkpoint): '
        'sar.predefined_anchors, sar.semantic_anchors,', 'more)')


def test_malicious_checkpoint_is_refused(runs, tmp_path):
    from tests.test_compat.test_checkpoint import write_malicious_checkpoint
    marker = tmp_path / 'payload_ran'
    write_malicious_checkpoint(tmp_path / 'evil.pth', marker)
    result = tool('plot_features.py', BASE, tmp_path / 'evil.pth', '--out',
                  'evil.png', cwd=runs)
    assert_one_line_error(result, 'refused to load checkpoint')
    assert not marker.exists()


@pytest.mark.parametrize('name', [
    'feature_geometry.py', 'plot_features.py', 'plot_anchors.py',
    'plot_per_class.py', 'plot_curves.py', 'make_figures.py'
])
def test_help(name, capsys):
    # in-process: the parser is the CLI, and an import per tool is costly
    spec = importlib.util.spec_from_file_location(
        name[:-3], REPO / 'tools' / TOOLS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exit_:
        module.build_parser().parse_args(['--help'])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith('usage:')


@pytest.fixture
def tools_in_this_process(monkeypatch):
    """make_figures.py launches ``python tools/<script> ...``; run those
    here instead (its command lines and exit-status checks stay as they
    are, test_make_figures_stops_when_a_tool_fails runs a real one)."""
    real = subprocess.run
    tools = str(REPO / 'tools') + os.sep

    def run(cmd, *args, **kwargs):
        if cmd[:1] != [sys.executable] or not cmd[1].startswith(tools):
            return real(cmd, *args, **kwargs)
        result = run_tool_inprocess([cmd[1][len(tools):], *cmd[2:]],
                                    os.getcwd())
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result

    monkeypatch.setattr(subprocess, 'run', run)


def test_make_figures_stops_when_a_tool_fails(tmp_path):
    # a real `python tools/train.py` that fails at once (no such config)
    result = tool('make_figures.py', '--out', tmp_path / 'figs',
                  '--work-dir', tmp_path, '--baseline-config',
                  tmp_path / 'missing.py', cwd=tmp_path)
    assert result.returncode == 1
    assert f'+ {sys.executable} {REPO}/tools/train.py {tmp_path}/missing.py' \
        in result.stdout
    assert result.stderr.strip().splitlines()[-1] == \
        'ERROR: train.py failed (command above).'


def test_make_figures_reuses_runs(runs, tmp_path, tools_in_this_process):
    # it writes into the work dirs (baseline/, sar/): copies of the runs
    for name, run in (('baseline', 'fcn'), ('sar', 'sar')):
        shutil.copytree(runs / run, tmp_path / name, symlinks=True)
    (tmp_path / 'data').symlink_to(runs / 'data')
    readme = tmp_path / 'README.md'
    readme.write_text('# x\n<!-- geometry-table:start -->\nold\n'
                      '<!-- geometry-table:end -->\nrest\n')
    result = tool('make_figures.py', '--out', tmp_path / 'figs',
                  '--work-dir', '.', '--no-train', '--baseline-config',
                  BASE, '--sar-config', SAR, '--readme', readme,
                  '--method', 'pca', cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ('features', 'anchors', 'per_class', 'curves'):
        assert (tmp_path / 'figs' / f'{name}.png').stat().st_size > 1000
    table = (tmp_path / 'figs' / 'geometry.md').read_text()
    assert '| number | baseline | SAR |' in table and 'NC1' in table
    text = readme.read_text()
    assert 'old' not in text and table in text and text.endswith('rest\n')
