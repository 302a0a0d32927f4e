"""Prose that renders: a `<word>` outside a code span is an HTML tag to Markdown, so the site
and Jupyter drop it (seq2seq's `<end>` marker vanished from its page that way). Every
script's prose (header and markdown cells), the README and every docs page are checked."""

import re
from pathlib import Path

import pytest

from conftest import ROOT
from test_claims import prose
from test_scripts import SCRIPTS

TAG = re.compile(r"<[A-Za-z/!?][^>\n]*>")
PAGES = sorted(str(path.relative_to(ROOT)) for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


def raw_tags(text: str) -> list:
    """The tags Markdown would swallow: outside fenced blocks, code spans and comments."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    return TAG.findall(text)


def test_the_check_finds_what_markdown_would_swallow():
    assert raw_tags("writes 15, <end>] and <br> but `<end>` and <!-- gallery: begin -->") == [
        "<end>", "<br>"]
    assert raw_tags("x < 3 and y > 2, a -> b") == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_prose_has_no_raw_tags(script):
    assert not raw_tags(prose(script)), f"{script}: put these in code spans: {raw_tags(prose(script))}"


@pytest.mark.parametrize("page", PAGES)
def test_pages_have_no_raw_tags(page):
    found = raw_tags((ROOT / page).read_text())
    assert not found, f"{page}: put these in code spans: {found}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_notebook_outputs_have_no_raw_tags(script):
    """What a committed notebook shows as Markdown (a table's title) renders too."""
    import nbformat

    notebook = nbformat.read(ROOT / "notebooks" / script.replace(".py", ".ipynb"), as_version=4)
    found = [tag for cell in notebook.cells for out in cell.get("outputs", [])
             for tag in raw_tags(out.get("data", {}).get("text/markdown", ""))]
    assert not found, f"{script}'s notebook shows Markdown that swallows {found}: escape it"
