"""report.html as a browser sees it: headless Chromium loads the file and dumps the DOM it built."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from arc_ttt.adapters.reports.html_report import HtmlReportWriter
from tests.report_support import PageStructure, check_structure, sample_summary

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium to run this test)")
def test_chromium_renders_the_report(tmp_path: Path) -> None:
    [path] = HtmlReportWriter().write(tmp_path, sample_summary())
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    page = PageStructure(done.stdout)
    check_structure(page, tasks=3)
    assert page.articles["t1"]["figure.right"] == 1
    assert "flip left-right" in " ".join(page.text)
