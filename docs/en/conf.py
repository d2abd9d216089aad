"""Sphinx configuration of sar_mm's docs (MyST Markdown, as OpenMMLab's).

    make docs      # sphinx-build -W: any warning, e.g. a dead link, fails
"""
import os.path as osp
import runpy

project = 'sar_mm'
author = 'sar_mm contributors'
copyright = '2026, sar_mm contributors'

extensions = ['myst_parser']
source_suffix = {'.md': 'markdown'}
# links to headings of other pages, e.g. long_tailed.md#configs
myst_heading_anchors = 4
exclude_patterns = ['_build', 'README.md']
html_theme = 'alabaster'
html_title = 'sar_mm'

# run by path, not imported: a second build in one process (the tests')
# must write the pages of its own source folder
runpy.run_path(osp.join(osp.dirname(osp.abspath(__file__)),
                        'model_zoo_pages.py'))['write_pages']()
