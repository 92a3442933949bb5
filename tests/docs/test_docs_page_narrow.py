"""The docs page (``/v1/api/docs``) is readable from 360 px wide: nothing sticks out sideways.

A headless Chromium lays the page out in a 360 px wide frame and reports how wide the
content is and which elements stick out; the page must not scroll sideways (tables and code
blocks may scroll inside themselves). A screenshot is kept next to the test's files for a
person to look at. Chromium comes from Debian (``apt-get install -y chromium``; .ci/run
installs it when it is missing and runs this with ``pytest -m browser``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from mockserver import MockServer

pytestmark = pytest.mark.browser  # deselected by default; .ci/run runs it with -m browser
WIDTH = 360
#: measures the page inside a same-document frame of WIDTH pixels and writes the figures to
#: an attribute, which --dump-dom prints once the page has loaded
PROBE = """<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {
  const doc = frame.contentDocument, view = frame.contentWindow;
  const scrolls = el => { for (let e = el; e && e !== doc.body; e = e.parentElement) {
      const s = view.getComputedStyle(e); if (s.overflowX === "auto" || s.overflowX === "scroll") return true; }
    return false; };
  const out = [...doc.querySelectorAll("body *")].filter(e => !scrolls(e.parentElement)
      && e.getBoundingClientRect().right > view.innerWidth + 1)
    .slice(0, 10).map(e => e.tagName.toLowerCase() + "." + e.className + ": " + e.textContent.slice(0, 40));
  document.body.setAttribute("data-probe", JSON.stringify(
    {width: view.innerWidth, scrollWidth: doc.documentElement.scrollWidth, out}));
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "install Chromium to check the docs page: apt-get install -y chromium (.ci/run does)"
    return found


def test_the_docs_page_fits_360_px(tmp_path):
    page = MockServer(["empty"]).test_client().get("/v1/api/docs").get_data(as_text=True)
    wrapper = tmp_path / "narrow.html"
    wrapper.write_text(f'<!DOCTYPE html><html><body style="margin:0"><iframe id="page" '
                       f'style="width:{WIDTH}px;height:2400px;border:0" srcdoc="{html.escape(page, quote=True)}">'
                       f"</iframe>{PROBE}</body></html>", encoding="utf-8")
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--hide-scrollbars", "--window-size=800,2400"]
    dumped = subprocess.run([*browser, "--dump-dom", wrapper.as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r'data-probe="([^"]*)"', dumped.stdout)
    assert match, dumped.stderr[-2000:]
    probe = json.loads(html.unescape(match.group(1)))
    assert probe["width"] == WIDTH
    assert probe["scrollWidth"] <= WIDTH and not probe["out"], probe
    subprocess.run([*browser, f"--screenshot={tmp_path / 'docs-360px.png'}", wrapper.as_uri()],
                   capture_output=True, timeout=120)
    assert (tmp_path / "docs-360px.png").stat().st_size > 10_000
