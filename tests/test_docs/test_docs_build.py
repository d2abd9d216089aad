"""The docs site builds with Sphinx + MyST and warnings as errors (what
``make docs`` runs), so no internal link, heading anchor or included file
is dead; the README is a front page whose links reach the docs. Built
from a copy of docs/en in a temporary directory (the model-zoo pages are
generated there, not in the checkout)."""
import re
import shutil

import pytest

from tests.utils import REPO

DOCS = REPO / 'docs' / 'en'


def build(root, capsys):
    """Build ``root/docs/en`` as ``make docs`` does; (status, warnings)."""
    from sphinx.cmd.build import build_main
    status = build_main([
        '-W', '--keep-going', '-q', '-b', 'html', '-d',
        str(root / 'doctrees'),
        str(root / 'docs' / 'en'),
        str(root / 'html')
    ])
    return status, capsys.readouterr().err


@pytest.fixture
def docs_copy(tmp_path):
    """docs/en copied next to links to the files it includes and links."""
    shutil.copytree(DOCS, tmp_path / 'docs' / 'en',
                    ignore=shutil.ignore_patterns('_build', 'model_zoo'))
    (tmp_path / 'docs' / 'figures').symlink_to(REPO / 'docs' / 'figures')
    for name in ('configs', 'benchmarks', 'tools', 'sar_mm'):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def test_docs_build_without_warnings(docs_copy, capsys):
    status, warnings = build(docs_copy, capsys)
    assert status == 0, warnings
    html = docs_copy / 'html'
    for page in ('index', 'get_started', 'user_guides/own_dataset',
                 'user_guides/semi_supervised', 'model_zoo', 'model_zoo/sar',
                 'model_zoo/benchmark_lt_seg',
                 'advanced_guides/pseudo_label_strategy'):
        assert (html / f'{page}.html').is_file(), page
    # the own-dataset configs are included, not copied, into the guide
    guide = (html / 'user_guides/own_dataset.html').read_text()
    assert 'reduce_zero_label' in guide and 'LoadEmptySegMap' in guide


@pytest.mark.parametrize('link', [
    '[gone](no_such_page.md)',
    '[gone](get_started.md#no-such-heading)',
    '[gone](user_guides/no_such_page.md)',
])
def test_a_dead_internal_link_fails_the_build(docs_copy, capsys, link):
    """What the build checks: a link to a missing page or heading."""
    page = docs_copy / 'docs' / 'en' / 'get_started.md'
    page.write_text(page.read_text() + f'\n\nSee {link}.\n')
    status, warnings = build(docs_copy, capsys)
    assert status != 0
    target = re.search(r'\((\S+)\)', link).group(1).split('#')[-1]
    assert 'get_started.md' in warnings and target in warnings, warnings


def test_readme_is_a_front_page_linking_to_the_docs():
    text = (REPO / 'README.md').read_text()
    assert len(text.splitlines()) <= 250
    for heading in ('## Installation', '## Quick start',
                    '## Results at a glance', '## Documentation'):
        assert heading in text
    targets = re.findall(r'\]\(((?!https?://)[^)#\s]+)(?:#[^)]*)?\)', text)
    assert len(targets) > 10
    for target in targets:
        assert (REPO / target).exists(), target
    # every guide of docs/en is reachable from the front page
    for page in DOCS.glob('*/*.md'):
        if page.parent.name != 'model_zoo':
            assert str(page.relative_to(REPO)) in text, page


def test_semi_supervised_recipe_is_the_tested_config():
    """The recipe of the semi-supervised guide is the own-dataset guide's
    FixMatch + SAR config, included (test_own_dataset_guide.py trains
    it), and names branch_field in both pipelines."""
    text = (DOCS / 'user_guides' / 'semi_supervised.md').read_text()
    included = re.findall(r'```\{literalinclude\} (\S+)', text)
    assert included == [
        '../../../configs/own_dataset/'
        'fixmatch-sar-fcn_r18-d8_1xb4-100_my-set-1-4-64x64.py'
    ]
    config = (DOCS / 'user_guides' / included[0]).resolve().read_text()
    assert config.count('branch_field=branch_field') == 2
    assert "'sar_mm::_base_/datasets/semi_views.py'" in config
    assert "'../_base_/datasets/semi_views.py'" not in text
