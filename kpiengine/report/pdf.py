"""The report as PDF, printed by headless Chromium (the optional extra `kpiengine[pdf]`).

Chromium, not WeasyPrint: the report is one HTML file written for browsers (grid, inline SVG,
MathML, bidirectional text, system fonts), and the PDF should be what a reader's own browser
prints; Chromium already runs the browser tests. It is driven with Selenium and needs a
`chromium` and `chromedriver` on the PATH (Debian: `chromium chromium-driver`), or their paths
in `KPIENGINE_CHROMIUM` and `KPIENGINE_CHROMEDRIVER`.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import KpiError

PAPERS = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}  # centimetres, as Chromium wants them
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _program(variable: str, *names: str) -> str:
    found = os.environ.get(variable) or next(filter(None, map(shutil.which, names)), None)
    if not found:
        raise KpiError(
            f"PDF needs {names[0]} (set {variable} or install it)",
            fix="install Chromium and its driver (Debian: apt install chromium chromium-driver)",
        )
    return found


def html_to_pdf(html: str, paper: str = "a4") -> bytes:
    """Print `html` to PDF on `paper` (`a4` or `letter`) with the report's print stylesheet."""
    try:
        from selenium import webdriver  # noqa: PLC0415 - an optional extra
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415
        from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: PLC0415
    except ImportError:
        raise KpiError(
            "PDF reports need the `pdf` extra", fix='pip install "kpiengine[pdf]"'
        ) from None
    if paper.lower() not in PAPERS:
        raise KpiError(f"unknown paper `{paper}`", fix="use a4 or letter")
    chromium = _program("KPIENGINE_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver_path = _program("KPIENGINE_CHROMEDRIVER", "chromedriver")
    with tempfile.TemporaryDirectory(prefix="kpiengine-pdf-") as folder:
        page = Path(folder) / "report.html"
        page.write_text(html, encoding="utf-8")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*FLAGS, f"--user-data-dir={Path(folder) / 'profile'}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            driver.get(page.as_uri())
            printing = PrintOptions()
            printing.page_width, printing.page_height = PAPERS[paper.lower()]
            printing.background = True
            return base64.b64decode(driver.print_page(printing))
        finally:
            driver.quit()
