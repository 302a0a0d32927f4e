"""Build the static site into site/: every tutorial with the outputs of its full run.

    python tools/build_site.py            # site/index.html; open it in a browser

The pages: an index made from README.md (what the collection teaches, the two commands,
the scripts table, the gallery), one page per tutorial rendered from its executed notebook
in notebooks/ (prose, highlighted code, outputs, figures, links to its .py and .ipynb), and
the reference pages in docs/*.md. MkDocs with the Material theme lays them out and
mkdocs-jupyter renders the notebooks (mkdocs.yml holds their settings); this tool stages
the files in a scratch folder first, with the repository's layout, so that every relative
link of the README and of docs/ resolves on the site as it does on GitHub, and adds the
navigation (tutorials in the README's order). Every page loads only files of the site
(tests/test_site.py checks it in a real browser).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
SCRIPTS = sorted(ROOT.glob("*.py"))
LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")
# Reference pages, in this order in the navigation (other docs/*.md pages follow).
REFERENCE = ["flags.md", "experiments.md", "notebooks.md", "backends.md", "testing.md", "keras2.md", "layout.md"]


def title_of_script(script: Path) -> str:
    match = re.search(r"^Title:\s*(.+)$", script.read_text(), flags=re.MULTILINE)
    return match.group(1).strip() if match else script.stem


def title_of_page(path: Path) -> str:
    match = re.search(r"^# (.+)$", path.read_text(), flags=re.MULTILINE)
    return match.group(1).strip() if match else path.stem


def tutorial_order(readme: str) -> list:
    """Script names in the order the README's scripts table lists them, then the rest."""
    listed = re.findall(r"^\| \[`(\w+)\.py`\]", readme, flags=re.MULTILINE)
    names = [s.stem for s in SCRIPTS]
    return [n for n in dict.fromkeys(listed) if n in names] + [n for n in names if n not in listed]


def index_page(readme: str) -> str:
    """README.md for the site: a script's name links to its tutorial page, not its source."""
    names = {s.stem for s in SCRIPTS}
    return LINK.sub(lambda m: f"](notebooks/{Path(m.group(1)).stem}.ipynb{m.group(2) or ''})"
                    if m.group(1).endswith(".py") and "/" not in m.group(1)
                    and Path(m.group(1)).stem in names else m.group(0), readme)


def linked_files() -> list:
    """Files of the repository that README.md and docs/*.md link to, beyond docs/ and the
    scripts (requirements.txt, benchmarks/README.md, a test file), as paths relative to the
    repository; a Markdown file's own links are followed in turn."""
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    found, seen = [], set()
    while pages:
        page = pages.pop()
        for match in LINK.finditer(page.read_text()):
            target = match.group(1)
            if re.match(r"^[a-z]+:", target) or target.startswith("/"):
                continue
            path = (page.parent / target).resolve()
            if not path.is_relative_to(ROOT) or not path.is_file():
                continue
            relative = path.relative_to(ROOT)
            if (relative in seen or relative.parts[0] in ("docs", "notebooks")
                    or str(relative) == "README.md" or path in build_site_scripts()):
                continue
            seen.add(relative)
            found.append(relative)
            if path.suffix == ".md":
                pages.append(path)
    return sorted(found)


def build_site_scripts() -> list:
    return [script.resolve() for script in SCRIPTS]


def page_of(relative: Path) -> str:
    """The site's HTML file for a Markdown file (README.md is its folder's index)."""
    name = "index.html" if relative.name in ("README.md", "index.md") else relative.stem + ".html"
    return str(relative.parent / name) if str(relative.parent) != "." else name


def stage(folder: Path) -> list:
    """Copy what the site shows into ``folder`` with the repository's layout; returns the
    extra Markdown pages (paths relative to ``folder``)."""
    readme = (ROOT / "README.md").read_text()
    (folder / "index.md").write_text(index_page(readme))
    shutil.copytree(ROOT / "docs", folder / "docs",
                    ignore=shutil.ignore_patterns("__pycache__", "overrides"))
    for page in (folder / "docs").glob("*.md"):  # README.md is the site's index
        page.write_text(page.read_text().replace("](../README.md", "](../index.md"))
    shutil.copytree(ROOT / "docs" / "overrides", folder.parent / "overrides")
    missing = [s.name for s in SCRIPTS if not (ROOT / "notebooks" / f"{s.stem}.ipynb").exists()]
    if missing:
        raise SystemExit(f"no notebook for {', '.join(missing)}: run python tools/make_notebooks.py --execute")
    (folder / "notebooks").mkdir()
    for script in SCRIPTS:
        shutil.copy2(script, folder / script.name)  # the page links it for download
        shutil.copy2(ROOT / "notebooks" / f"{script.stem}.ipynb", folder / "notebooks")
    extra = []
    for relative in linked_files():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, folder / relative)
        if relative.suffix == ".md":
            extra.append(str(relative))
    return extra


def config(folder: Path, extra_pages: list) -> dict:
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    readme = (ROOT / "README.md").read_text()
    scripts = {s.stem: s for s in SCRIPTS}
    reference = sorted((folder / "docs").glob("*.md"),
                       key=lambda p: (REFERENCE.index(p.name) if p.name in REFERENCE else len(REFERENCE), p.name))
    settings.update({
        "docs_dir": str(folder),
        "site_dir": str(SITE),
        "nav": [{"Home": "index.md"},
                {"Tutorials": [{title_of_script(scripts[n]): f"notebooks/{n}.ipynb"}
                               for n in tutorial_order(readme)]},
                {"Reference": [{title_of_page(p): f"docs/{p.name}"} for p in reference]
                 + [{title_of_page(folder / p): p} for p in sorted(extra_pages)]}],
    })
    settings["theme"]["custom_dir"] = str(folder.parent / "overrides")
    settings["hooks"] = [str(ROOT / hook) for hook in settings.get("hooks", [])]
    return settings


def build(quiet: bool = False) -> Path:
    """Build the site into site/ and return its index.html."""
    with tempfile.TemporaryDirectory(prefix="site-") as scratch:
        folder = Path(scratch) / "src"
        folder.mkdir()
        extra = stage(folder)
        config_file = Path(scratch) / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(config(folder, extra), sort_keys=False))
        # --strict: a link that does not resolve, or any other warning, fails the build.
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-f", str(config_file)]
        if quiet:
            command.append("--quiet")
        # NO_MKDOCS_2_WARNING: Material prints a banner about MkDocs 2.0 at every build; the
        # requirements pin MkDocs 1.x, which it is about.
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        result = subprocess.run(command, cwd=scratch, text=True, capture_output=True, env=env)
        # MkDocs names the scratch folder in its log lines; say "the staged sources" instead.
        log = (result.stdout + result.stderr).replace(str(folder), "<staged sources>")
        if log.strip():
            print(log.rstrip())
        if result.returncode:
            raise SystemExit(f"mkdocs build failed (exit {result.returncode})")
    return SITE / "index.html"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="print only warnings and errors")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    index = build(quiet=args.quiet)
    pages = len(list(SITE.rglob("*.html")))
    print(f"built {pages} pages into {index.parent.relative_to(ROOT)}/ in "
          f"{time.perf_counter() - started:.0f} s: open {index.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
