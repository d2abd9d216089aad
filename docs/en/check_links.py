"""Link check of the built HTML site (``make docs`` builds it; the docs
test runs this on its build).

Sphinx's ``-W`` sees only the links it resolves itself; raw HTML in the
Markdown, a theme's template or a rewritten model-zoo page can still point
nowhere. This reads every built page as a browser would:

- an internal ``href`` or ``src`` must name a file of the site (the site
  is published alone, so nothing outside its folder), and its ``#anchor``
  an ``id`` of that page;
- an external link must go to a host, and on a code host to a
  repository, the project really links to (``ALLOWED``, the one
  allow-list).

    python docs/en/check_links.py docs/en/_build/html
"""
import os
import os.path as osp
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

# Where the docs may link outside the site, the one allow-list: host ->
# None (any page) or the repositories, ``owner/name``, of a code host.
GITHUB_REPOS = frozenset({
    # the official code of the methods
    'geyanqi/SAR',
    'FlamieZhu/Balanced-Contrastive-Learning',
    'MediaBrain-SJTU/Geometric-Harmonization',
    'LiheYoung/UniMatch',
    'LiheYoung/UniMatch-V2',
    # the configs we adapt
    'open-mmlab/mmsegmentation',
    # the theme's footer
    'pradyunsg/furo',
})
ALLOWED = {
    'github.com': GITHUB_REPOS,
    # the methods' papers
    'arxiv.org': None,
    'openreview.net': None,
    # docstrings inherited from mmengine
    'mmengine.readthedocs.io': None,
    # the theme's footer
    'www.sphinx-doc.org': None,
    'pradyunsg.me': None,
}
# Attributes that load or link a resource.
ATTRS = ('href', 'src')
# Schemes that are neither a page nor a host (nothing to resolve).
INERT = ('mailto', 'javascript', 'data', 'tel')


class _Page(HTMLParser):
    """The ids and the links of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get('id'):
            self.ids.add(attrs['id'])
        if tag == 'a' and attrs.get('name'):
            self.ids.add(attrs['name'])
        for key in ATTRS:
            if attrs.get(key) is not None:
                self.links.append(attrs[key])


def read_page(path: str) -> _Page:
    """Parse one page."""
    page = _Page()
    with open(path, encoding='utf-8') as f:
        page.feed(f.read())
    return page


def check_site(root: str, allowed=ALLOWED) -> list:
    """Every problem of the site under ``root``, one line each:
    ``page: link (what is wrong)``. Empty when every link works."""
    root = osp.abspath(root)
    pages = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith('.html'):
                path = osp.join(folder, name)
                pages[path] = read_page(path)
    problems = []
    for path, page in sorted(pages.items()):
        where = osp.relpath(path, root)
        for link in page.links:
            problem = _check_link(link, path, root, pages, allowed)
            if problem:
                problems.append(f'{where}: {link} ({problem})')
    return problems


def _check_link(link, page, root, pages, allowed):
    """What is wrong with ``link`` on ``page``, or None."""
    parts = urlsplit(link.strip())
    if parts.scheme in INERT:
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme not in ('http', 'https', ''):
            return f'unknown scheme {parts.scheme!r}'
        return _check_external(parts, allowed)
    target = page
    if parts.path:
        target = osp.normpath(osp.join(osp.dirname(page), unquote(parts.path)))
        if osp.isdir(target):
            target = osp.join(target, 'index.html')
        if osp.commonpath([target, root]) != root:
            return 'points outside the built site'
        if not osp.isfile(target):
            return 'no such file'
    anchor = unquote(parts.fragment)
    if anchor and target.endswith('.html'):
        if anchor not in pages[target].ids:
            return f'no id {anchor!r} in {osp.relpath(target, root)}'
    return None


def _check_external(parts, allowed):
    """What is wrong with an external link, or None."""
    host = (parts.hostname or '').lower()
    if host not in allowed:
        return f'unknown host {host!r}: not in ALLOWED of ' \
               'docs/en/check_links.py'
    repos = allowed[host]
    repo = '/'.join(parts.path.strip('/').split('/')[:2])
    if repos is not None and repo not in repos:
        return f'unknown repository {host}/{repo}: not in ALLOWED of ' \
               'docs/en/check_links.py'
    return None


def main(argv=None) -> int:
    """Print every problem; status 1 when there is one."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not osp.isdir(argv[0]):
        print(
            'ERROR: give the built site, e.g. '
            'python docs/en/check_links.py docs/en/_build/html',
            file=sys.stderr)
        return 1
    problems = check_site(argv[0])
    for problem in problems:
        print(problem)
    print(f'{len(problems)} broken link(s)', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
