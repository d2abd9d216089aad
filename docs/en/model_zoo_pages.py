"""Model-zoo pages of the docs, made at build time from the READMEs of
``configs/*/`` and the benchmark reports of ``benchmarks/results/`` (as
OpenMMLab's ``docs/en/stat.py`` makes mmseg's): each is copied under
``docs/en/model_zoo/`` with its links rewritten for its new place, so the
READMEs stay the one source."""
import os
import os.path as osp
import re
import shutil
from glob import glob

DOCS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(DOCS))
OUT = osp.join(DOCS, 'model_zoo')
LINK = re.compile(r'\]\(([^)#\s]+)(#[^)\s]*)?\)')


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

    return LINK.sub(fix, text)


def write_pages() -> list:
    """Write the pages; returns their names (for the toctree)."""
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    pages = sources()
    for source, name in pages.items():
        with open(source, encoding='utf-8') as f:
            text = f.read()
        if not text.lstrip().startswith('# '):
            title = name.replace('benchmark_', '').replace('_', ' ')
            text = f'# Benchmark: {title}\n\n{text}'
        text = rewrite_links(text, source, pages)
        with open(osp.join(OUT, name + '.md'), 'w', encoding='utf-8') as f:
            f.write(text)
    return list(pages.values())


if __name__ == '__main__':
    print('\n'.join(write_pages()))
