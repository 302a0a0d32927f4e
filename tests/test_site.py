"""The built site, checked in a real browser: every page of site/ opened in headless Chromium.

    python tools/build_site.py && python -m pytest -m browser -n 0

(The test builds the site itself when site/ is missing or older than its sources.) Each
page is served from a local HTTP server, as a reader's browser or a static host would
serve it, and must show: no console errors; every image loaded (`naturalWidth > 0`);
every internal link resolving to a file of the site (and to its anchor); no request to any
other host, and no script, style or image addressed to one; on a tutorial page, its
results table and at least one figure. A screenshot of each page goes to site-screenshots/
(or $SITE_SCREENSHOTS), and the test prints where.

Needs Chromium and its driver (Debian: `apt-get install -y chromium chromium-driver`) and
selenium (requirements-dev.txt). Without Chromium the test is skipped, except in CI
(CI=true), where it fails.
"""

import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from conftest import ROOT

pytestmark = pytest.mark.browser

sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

SITE = build_site.SITE
SCREENSHOTS = Path(os.environ.get("SITE_SCREENSHOTS", ROOT / "site-screenshots"))
TUTORIALS = [f"notebooks/{script.stem}.html" for script in build_site.SCRIPTS]
PAGES = (["index.html"] + [f"docs/{page.stem}.html" for page in sorted((ROOT / "docs").glob("*.md"))]
         + TUTORIALS + [build_site.page_of(path) for path in build_site.linked_files() if path.suffix == ".md"])
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _sources() -> list:
    return ([ROOT / "README.md", ROOT / "mkdocs.yml", ROOT / "tools" / "build_site.py"]
            + list((ROOT / "docs").rglob("*")) + list((ROOT / "notebooks").glob("*.ipynb"))
            + build_site.SCRIPTS)


@pytest.fixture(scope="session")
def site():
    """site/, built first when it is missing or older than any of its sources."""
    index = SITE / "index.html"
    newest = max(path.stat().st_mtime for path in _sources() if path.is_file())
    if not index.exists() or index.stat().st_mtime < newest:
        build_site.build(quiet=True)
    return SITE


@pytest.fixture(scope="session")
def server(site):
    """The site over HTTP on 127.0.0.1 (a free port), quietly."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        selenium_missing = "selenium is not installed (pip install -r requirements-dev.txt)"
        if IN_CI:
            pytest.fail(selenium_missing)
        pytest.skip(selenium_missing)
    if not chromium or not driver_path:
        reason = "Chromium or chromedriver not found (Debian: apt-get install -y chromium chromium-driver)"
        if IN_CI:
            pytest.fail(reason + "; CI installs them in .ci/run")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--hide-scrollbars", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-default-apps", "--disable-sync", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _requests(driver) -> list:
    """URLs the page requested since the last call (DevTools Network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _file_of(url: str, origin: str):
    """The file of the site an internal URL points to, or None for another host."""
    if not url.startswith(origin + "/"):
        return None
    path = unquote(urlsplit(url).path).lstrip("/")
    target = SITE / path
    if not path or path.endswith("/"):
        target = target / "index.html"
    return target


def test_every_built_page_is_checked(site):
    built = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if p.name != "404.html")
    assert built == sorted(PAGES), "pages built but not listed in tests/test_site.py's PAGES, or the other way"


# For each output table of a page: its row count, and the rows with a cell whose text wraps.
WRAPPED_ROWS = """
    const lines = cell => {
      const range = document.createRange();
      range.selectNodeContents(cell);
      return new Set(Array.from(range.getClientRects()).filter(r => r.width > 0)
                     .map(r => Math.round(r.top))).size;
    };
    return Array.from(document.querySelectorAll('.jp-OutputArea-output table')).map(t => ({
      rows: t.rows.length,
      wrapped: Array.from(t.rows).filter(r => Array.from(r.cells).some(c => lines(c) > 1))
                                 .map(r => r.innerText.slice(0, 100))}));"""


def test_the_wrap_check_finds_a_wrapped_row_not_a_grouped_index(browser):
    """WRAPPED_ROWS can fail: a cell whose text runs over two lines is found; a grouped
    index's cell, one line spanning three rows, is not."""
    table = ('<div class="jp-OutputArea-output"><table><tr><th rowspan="3">0</th><td>input</td>'
             '<td>one line</td></tr><tr><td>b</td><td style="width: 60px">these words wrap</td></tr>'
             '<tr><td>c</td><td>x</td></tr></table></div>')
    browser.get("data:text/html;charset=utf-8," + quote(table))
    assert browser.execute_script(WRAPPED_ROWS) == [{"rows": 3, "wrapped": ["b\tthese words wrap"]}]


@pytest.mark.parametrize("page", PAGES)
def test_page_in_a_browser(page, site, server, browser, capsys):
    assert (site / page).exists(), f"site/{page} was not built"
    browser.get_log("browser"), _requests(browser)  # drop what earlier pages left
    url = f"{server}/{page}"
    browser.get(url)
    for _ in range(100):  # until every image has finished, loaded or not
        if browser.execute_script(
                "return document.readyState === 'complete' && "
                "Array.from(document.images).every(i => i.complete)"):
            break
        time.sleep(0.1)
    time.sleep(0.3)  # late console messages (scripts run on load)

    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"console errors on {page}: {errors}"

    broken = browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.currentSrc || i.src)")
    assert not broken, f"images that did not load on {page}: {broken}"

    elsewhere = [u for u in _requests(browser)
                 if not u.startswith((server + "/", "data:", "blob:", "about:", "chrome"))]
    assert not elsewhere, f"{page} requested from another host: {elsewhere}"
    fetched_from_elsewhere = browser.execute_script(
        "return Array.from(document.querySelectorAll('script[src], link[href], img[src], iframe[src], "
        "source[src], video[src], audio[src]'))"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'))"
        ".filter(u => /^(https?:)?\\/\\//.test(u))")
    assert not fetched_from_elsewhere, f"{page} addresses another host: {fetched_from_elsewhere}"

    links = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    unresolved = []
    for link in set(links):
        target = _file_of(link, server)
        if target is None:
            continue  # a link out (GitHub, a paper): followed by the reader, not fetched
        if not target.is_file():
            unresolved.append(link)
            continue
        fragment = urlsplit(link).fragment
        if fragment and target.suffix == ".html" and not re.search(
                rf'\b(id|name)="{re.escape(unquote(fragment))}"', target.read_text(errors="replace")):
            unresolved.append(link)
    assert not unresolved, f"links on {page} that resolve to nothing: {sorted(unresolved)}"

    if page in TUTORIALS:
        # The results tables: HTML tables (pandas DataFrames shown by common.cli.show_table),
        # each row on one line at 1280 px: a cell whose text lies on more than one line has
        # wrapped (its text's line boxes, counted by their tops; a grouped index's cell spans
        # several rows but holds one line).
        tables = browser.execute_script(WRAPPED_ROWS)
        assert any(t["rows"] >= 3 for t in tables), f"{page} shows no results table"
        wrapped = [row for t in tables for row in t["wrapped"]]
        assert not wrapped, f"rows of {page}'s results tables that wrap at 1280 px: {wrapped}"
        figures = browser.execute_script(
            "return Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
            ".filter(i => i.naturalWidth > 100 && i.naturalHeight > 100).length")
        assert figures >= 1, f"{page} shows no figure"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 900), 12000))
    shot = SCREENSHOTS / (page.replace("/", "__").removesuffix(".html") + ".png")
    browser.save_screenshot(str(shot))
    browser.set_window_size(1280, 900)
    with capsys.disabled():
        print(f"\n  {page}: screenshot {shot}", end="")
