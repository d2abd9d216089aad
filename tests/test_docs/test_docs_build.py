"""The docs site builds with Sphinx + MyST and warnings as errors (what
``make docs`` runs), so no internal link, heading anchor or included file
is dead, and every link of the built HTML works (docs/en/check_links.py:
raw HTML and the theme's links too, external ones on the allow-list);
the README is a front page whose links reach the docs. Built from a copy
of docs/en in a temporary directory (the model-zoo pages are generated
there, not in the checkout), once for the module."""
import contextlib
import io
import re
import runpy
import shutil

import pytest

from tests.utils import REPO

DOCS = REPO / 'docs' / 'en'
CHECK = runpy.run_path(str(DOCS / 'check_links.py'))


def build(root):
    """Build ``root/docs/en`` as ``make docs`` does; (status, warnings)."""
    from sphinx.cmd.build import build_main
    warnings = io.StringIO()
    with contextlib.redirect_stderr(warnings):
        status = build_main([
            '-W', '--keep-going', '-q', '-b', 'html', '-d',
            str(root / 'doctrees'),
            str(root / 'docs' / 'en'),
            str(root / 'html')
        ])
    return status, warnings.getvalue()


def copy_docs(root):
    """docs/en copied under ``root`` next to links to the files it
    includes and links."""
    shutil.copytree(DOCS,
                    root / 'docs' / 'en',
                    ignore=shutil.ignore_patterns('_build', 'model_zoo'))
    (root / 'docs' / 'figures').symlink_to(REPO / 'docs' / 'figures')
    for name in ('configs', 'benchmarks', 'tools', 'sar_mm'):
        (root / name).symlink_to(REPO / name)
    return root


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The docs built once: (the built HTML folder, status, warnings)."""
    root = copy_docs(tmp_path_factory.mktemp('docs'))
    status, warnings = build(root)
    return root / 'html', status, warnings


def test_docs_build_without_warnings(site):
    html, status, warnings = site
    assert status == 0, warnings
    for page in ('index', 'get_started', 'user_guides/own_dataset',
                 'user_guides/semi_supervised', 'user_guides/inference',
                 'user_guides/config', 'model_zoo', 'model_zoo/sar',
                 'model_zoo/benchmark_lt_seg', 'notes/changelog', 'notes/faq',
                 'advanced_guides/pseudo_label_strategy'):
        assert (html / f'{page}.html').is_file(), page
    # the theme's wider content column and the copy button on every page
    index = (html / 'index.html').read_text()
    assert 'wide_code.css' in index and 'copybutton.js' in index
    # the own-dataset configs are included, not copied, into the guide
    guide = (html / 'user_guides/own_dataset.html').read_text()
    assert 'reduce_zero_label' in guide and 'LoadEmptySegMap' in guide


def test_every_link_of_the_built_site_works(site):
    html, status, _ = site
    assert status == 0
    assert CHECK['check_site'](str(html)) == []
    # the configs' raw-HTML "Code Snippet" links reach their sources
    page = (html / 'model_zoo/lt.html').read_text()
    assert re.search(r'href="[^"]*long_tail_pixel_sampler\.py"', page)


def test_the_link_check_finds_each_kind_of_broken_link(tmp_path):
    """A dead file, a missing anchor, a page outside the site, an unknown
    host and an unknown repository of a known host are each reported;
    working links are not."""
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'b.html').write_text('<h1 id="here">B</h1>')
    (tmp_path / 'pic.png').write_bytes(b'')
    (tmp_path / 'a.html').write_text(
        '<a href="sub/b.html#here">ok</a><img src="pic.png">'
        '<a href="#top" id="top">ok</a><a href="mailto:x@y.z">ok</a>'
        '<a href="https://arxiv.org/abs/2312.11872">ok</a>'
        '<a href="https://github.com/geyanqi/SAR/tree/main">ok</a>'
        '<a href="sub/gone.html">dead</a>'
        '<a href="sub/b.html#nowhere">anchor</a>'
        '<a href="../../sar_mm/x.py">outside</a>'
        '<script src="https://cdn.example.com/x.js"></script>'
        '<a href="https://github.com/sar-mm/sar_mm">repo</a>')
    problems = CHECK['check_site'](str(tmp_path))
    assert problems == [
        'a.html: sub/gone.html (no such file)',
        "a.html: sub/b.html#nowhere (no id 'nowhere' in sub/b.html)",
        'a.html: ../../sar_mm/x.py (points outside the built site)',
        "a.html: https://cdn.example.com/x.js (unknown host "
        "'cdn.example.com': not in ALLOWED of docs/en/check_links.py)",
        'a.html: https://github.com/sar-mm/sar_mm (unknown repository '
        'github.com/sar-mm/sar_mm: not in ALLOWED of '
        'docs/en/check_links.py)',
    ]


def page_title(path):
    return re.search(r'<h1>(.*?)<a class="headerlink"', path.read_text(),
                     re.S).group(1).strip()


def test_model_zoo_overview_links_every_page_under_plain_titles(site):
    html, status, _ = site
    assert status == 0
    assert page_title(html / 'model_zoo.html') == 'Model zoo'
    overview = (DOCS / 'model_zoo.md').read_text()
    linked = set(re.findall(r'\]\(model_zoo/(\w+)\.md\)', overview))
    pages = sorted((html / 'model_zoo').glob('*.html'))
    assert {p.stem for p in pages} == linked
    titles = [page_title(p) for p in pages]
    assert len(set(titles)) == len(titles), titles
    for title in titles:
        # plain: no command, file name or generic 'Benchmark:' label
        assert not re.search(r'python|\.py|Benchmark:|<code', title), title
    # the dated notes live in the changelog, not above the results
    assert 'Until 2026' not in overview
    assert 'Until 2026' in (DOCS / 'notes/changelog.md').read_text()


def test_api_reference_documents_the_public_classes(site):
    html, status, _ = site
    assert status == 0
    for area, names in {
            'models': [
                'segmentors.SAREncoderDecoder', 'sar.SemanticAnchorLoss',
                'pseudo_labelers.DistributionMatching'
            ],
            'datasets': ['LTDigitScenes', 'transforms.MultiBranch'],
            'engine': ['hooks.MeanTeacherHook'],
            'evaluation': ['metrics.LTIoUMetric'],
            'analysis': ['feature_geometry'],
    }.items():
        page = (html / 'api' / f'{area}.html').read_text()
        for name in names:
            assert f'id="sar_mm.{area}.{name}"' in page, (area, name)


def test_a_dead_internal_link_fails_the_build(tmp_path):
    """What the build checks: a link to a missing page or heading."""
    links = [
        '[gone](no_such_page.md)', '[gone](get_started.md#no-such-heading)',
        '[gone](user_guides/no_such_page.md)'
    ]
    root = copy_docs(tmp_path)
    page = root / 'docs' / 'en' / 'get_started.md'
    page.write_text(page.read_text() + '\n\nSee ' + ', '.join(links) + '.\n')
    status, warnings = build(root)
    assert status != 0
    for link in links:
        target = re.search(r'\((\S+)\)', link).group(1).split('#')[-1]
        assert re.search(rf'get_started\.md:\d+: WARNING: .*{target}',
                         warnings), (link, warnings)


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


def test_a_report_without_a_title_is_named():
    """A new benchmark report needs its plain title and its rows in the
    model zoo; the build stops with one line saying so."""
    from sphinx.errors import ConfigError
    pages = runpy.run_path(str(DOCS / 'model_zoo_pages.py'))
    with pytest.raises(ConfigError,
                       match=r'results/new\.md has no title: add it to '
                       'REPORTS of docs/en/model_zoo_pages.py'):
        pages['report_header']('# New benchmark\n', 'new')
    header = pages['report_header']('# LTDigits, 30 epochs\n\nText', 'lt_cls')
    assert header.splitlines()[:3] == [
        '# Long-tailed classification on LTDigits', '',
        'Report `benchmarks/results/lt_cls.md`: LTDigits, 30 epochs.'
    ]


def test_link_check_command_line(tmp_path, capsys):
    main = CHECK['main']
    assert main([str(tmp_path / 'missing')]) == 1
    assert capsys.readouterr().err.startswith('ERROR: give the built site')
    (tmp_path / 'a.html').write_text('<a href="b.html">dead</a>')
    assert main([str(tmp_path)]) == 1
    assert capsys.readouterr().out == 'a.html: b.html (no such file)\n'
    (tmp_path / 'b.html').write_text('')
    assert main([str(tmp_path)]) == 0
