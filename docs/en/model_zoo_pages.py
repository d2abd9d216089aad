"""Model-zoo pages of the docs, made at build time from the READMEs of
``configs/*/`` and the benchmark reports of ``benchmarks/results/`` (as
OpenMMLab's ``docs/en/stat.py`` makes mmseg's): each is copied under
``docs/en/model_zoo/`` with its links rewritten for its new place, so the
READMEs stay the one source. A report gets its plain title here
(``REPORTS``): the benchmark scripts write a generic one, and a
regenerated report keeps the title of its page."""
import os
import os.path as osp
import re
import shutil
from glob import glob

from sphinx.errors import ConfigError

DOCS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(DOCS))
OUT = osp.join(DOCS, 'model_zoo')
LINK = re.compile(r'\]\(([^)#\s]+)(#[^)\s]*)?\)')
# the READMEs' raw-HTML links (OpenMMLab's "Official Repo" / "Code Snippet")
HTML_LINK = re.compile(r'<a href="([^"]+)">(.*?)</a>')
CURRENT = 'semi_seg_3k_dm'
# report -> (title of its page, whether it is a study behind the current
# semi-supervised protocol, CURRENT's, rather than a headline benchmark);
# docs/en/index.md and model_zoo.md list them in this order
REPORTS = {
    'lt_seg': ('Long-tailed segmentation on LTDigitScenes', False),
    'lt_cls': ('Long-tailed classification on LTDigits', False),
    'semi_seg_3k_dm': ('Semi-supervised segmentation: EMA teacher and '
                       'distribution matching, 3,000 iterations', False),
    'semi_seg_steep': ('Semi-supervised segmentation: the steep long tail '
                       '(ratio 50, 1/16 labelled)', False),
    'sar_map': ('When SAR helps: label budget and schedule', False),
    'semi_cls': ('Semi-supervised classification on LTDigits', False),
    'gh_ssl': ('Self-supervised learning with GH on LTDigits', False),
    'sar_overhead': ('What SAR costs: step time and memory', False),
    'mask_check': ('What the start-of-run mask check costs', False),
    'semi_seg': ('Semi-supervised segmentation, 1,000 iterations', True),
    'semi_seg_oracle': ('Semi-supervised segmentation: the true-mask '
                        'ceiling', True),
    'semi_seg_3k': ('Semi-supervised segmentation: FixMatch with SAR, '
                    '3,000 iterations', True),
    'semi_seg_3k_ema': ('Semi-supervised segmentation: the EMA teacher, '
                        '3,000 iterations', True),
    'semi_seg_3k_teacher': ('Semi-supervised segmentation: the EMA teacher '
                            'at 1/4, with SAR and FlexMatch', True),
    'semi_seg_6k': ('Semi-supervised segmentation: FixMatch at 6,000 '
                    'iterations', True),
    'semi_seg_lt_floor': ('Semi-supervised segmentation: distribution '
                          'matching with a floor', True),
    'semi_seg_simclr': ('Semi-supervised segmentation: the SimCLR fair '
                        'start', True),
}


def sources() -> dict:
    """Repository file -> the name of its page under ``model_zoo/``."""
    pages = {}
    for readme in sorted(glob(osp.join(REPO, 'configs', '*', 'README.md'))):
        pages[readme] = osp.basename(osp.dirname(readme))
    for report in sorted(glob(osp.join(REPO, 'benchmarks', 'results',
                                       '*.md'))):
        pages[report] = 'benchmark_' + osp.splitext(osp.basename(report))[0]
    return pages


def rewrite_links(text: str, source: str, pages: dict) -> str:
    """Links of ``source`` made to work from ``model_zoo/``: to another
    copied page, its copy; to any other repository file, that file."""

    def fix(match):
        target, anchor = match.group(1), match.group(2) or ''
        if '://' in target or target.startswith('mailto:'):
            return match.group(0)
        path = osp.normpath(osp.join(osp.dirname(source), target))
        if path in pages:
            return f']({pages[path]}.md{anchor})'
        return f']({osp.relpath(path, OUT)}{anchor})'

    text = HTML_LINK.sub(r'[\2](\1)', text)
    return LINK.sub(fix, text)


def report_header(text: str, report: str) -> str:
    """The report ``report`` under its plain title (its own first heading
    kept in the line naming its file); a study points to the current
    protocol's report."""
    if report not in REPORTS:
        # Sphinx prints a ConfigError of conf.py as its one line
        raise ConfigError(f'benchmarks/results/{report}.md has no title: '
                          'add it to REPORTS of docs/en/model_zoo_pages.py '
                          'and to the tables of docs/en/model_zoo.md')
    title, study = REPORTS[report]
    lines = text.lstrip().split('\n')
    source = f'Report `benchmarks/results/{report}.md`'
    if lines[0].startswith('# '):
        source += f': {lines.pop(0)[2:].strip()}'
    header = [f'# {title}', '', source + '.', '']
    if study:
        header += [
            '```{note}', 'A study behind the current semi-supervised '
            f'protocol; its results: [{REPORTS[CURRENT][0]}]'
            f'({CURRENT}.md).', '```', ''
        ]
    return '\n'.join(header + lines)


def write_pages() -> list:
    """Write the pages; returns their names (for the toctree)."""
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    pages = sources()
    for source, name in pages.items():
        with open(source, encoding='utf-8') as f:
            text = f.read()
        if name.startswith('benchmark_'):
            text = report_header(text, name[len('benchmark_'):])
        text = rewrite_links(text, source, pages)
        with open(osp.join(OUT, name + '.md'), 'w', encoding='utf-8') as f:
            f.write(text)
    return list(pages.values())


if __name__ == '__main__':
    print('\n'.join(write_pages()))
