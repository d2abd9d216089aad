"""Sphinx configuration of sar_mm's docs (MyST Markdown, as OpenMMLab's).

    make docs      # sphinx-build -W: any warning, e.g. a dead link, fails
"""
import os.path as osp
import runpy

project = 'sar_mm'
author = 'sar_mm contributors'
copyright = '2026, sar_mm contributors'

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx_copybutton',
]
source_suffix = {'.md': 'markdown'}
# links to headings of other pages, e.g. long_tailed.md#configs
myst_heading_anchors = 4
# ```{eval-rst} for the API pages' autodoc directives
myst_enable_extensions = ['colon_fence']
exclude_patterns = ['_build', 'README.md']

# API reference: the docstrings are Google style (OpenMMLab's)
autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'show-inheritance': True}
autodoc_typehints = 'description'
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# a NamedTuple's Attributes as fields, not a second entry of each field
napoleon_use_ivar = True

# Furo: its content column holds an 88-column code line at 1280 px (wider
# than alabaster's, which cut a third of the code lines), light and dark.
html_theme = 'furo'
html_title = 'sar_mm'
html_static_path = ['_static']
html_css_files = ['wide_code.css']
# the copy button leaves prompts and shell continuation out
copybutton_prompt_text = r'>>> |\.\.\. |\$ '
copybutton_prompt_is_regexp = True

# run by path, not imported: a second build in one process (the tests')
# must write the pages of its own source folder
runpy.run_path(
    osp.join(osp.dirname(osp.abspath(__file__)),
             'model_zoo_pages.py'))['write_pages']()
