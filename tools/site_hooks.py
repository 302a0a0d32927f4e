"""MkDocs hooks for the site (mkdocs.yml: hooks): the table of contents of a notebook page,
from the headings the page really has.

mkdocs-jupyter (0.26) makes a notebook page's table of contents with Python-Markdown's
slugs, while the page's headings get nbconvert's ids; they differ for a heading that holds
code (`return_state=True`: ... is `#the-hidden-state...` in the contents and
`#return_statetrue-the-hidden-state...` on the page), so such a link led nowhere
(tests/test_site.py found it). We rebuild the contents from the rendered headings.
"""

import html
import re

from mkdocs.structure.toc import get_toc

HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', flags=re.DOTALL)


def _tokens(content: str) -> list:
    """Nested toc tokens (level, id, name, children) of the headings in ``content``."""
    roots, stack = [], []
    for level, anchor, inner in HEADING.findall(content):
        inner = re.sub(r'<a class="anchor-link".*?</a>', "", inner, flags=re.DOTALL)
        name = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
        token = {"level": int(level), "id": anchor, "name": name, "children": []}
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(token)
        stack.append(token)
    return roots


def on_page_content(content, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):
        page.toc = get_toc(_tokens(content))
    return content
