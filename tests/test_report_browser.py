"""The HTML report in a real browser: headless Chromium at desktop and phone widths.

Needs Debian's `chromium` and `chromium-driver`; skipped without them unless
KPIENGINE_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure. Screenshots go to
tests/artifacts/ (git-ignored by the .gitignore the test writes there).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kpiengine
from kpiengine.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP, PHONE = 1280, 375


def _require_browser() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    message = (
        f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (apt: chromium chromium-driver)"
    )
    if os.environ.get("KPIENGINE_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    ws = kpiengine.load_workspace(kpiengine.sample_workspace())
    results = kpiengine.evaluate(ws, by=["channel"])
    folder = tmp_path_factory.mktemp("reports")
    return {
        locale: write_report(results, folder / f"report-{locale}.html", locale=locale)
        for locale in ("en", "fa")
    }


def _open(driver, path: Path, width: int) -> None:
    if width == PHONE:
        metrics = {"width": PHONE, "height": 812, "deviceScaleFactor": 2, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.set_window_size(DESKTOP, 900)
    driver.get(path.resolve().as_uri())
    driver.get_log("browser")  # drop anything logged before this page


def _save(driver, element, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", "utf-8")
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    element.screenshot(str(ARTIFACTS / f"{name}-kpi.png"))


@pytest.mark.parametrize(
    ("locale", "width"), [("en", DESKTOP), ("en", PHONE), ("fa", PHONE)], ids=str
)
def test_report_in_chromium(browser, reports, locale, width):
    from selenium.webdriver.common.by import By

    _open(browser, reports[locale], width)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    scorecard = browser.find_element(By.ID, "scorecard")
    assert scorecard.is_displayed()
    sections = browser.find_elements(By.CSS_SELECTOR, "section.kpi")
    scored = browser.find_elements(By.CSS_SELECTOR, "table.scorecard tr[data-kpi]")
    assert len(sections) == len(scored) > 0
    for section in sections:
        assert section.is_displayed() and section.size["height"] > 0, section.get_attribute("id")
    maths = browser.find_elements(By.CSS_SELECTOR, "math")
    assert len(maths) >= len(sections)
    for math in maths[:10]:
        assert math.size["width"] > 0 and math.size["height"] > 0
    # laid out as mathematics: a fraction is taller than a line of text
    fraction = browser.find_element(By.CSS_SELECTOR, "math mfrac")
    line = browser.find_element(By.CSS_SELECTOR, "math mi")
    assert fraction.size["height"] > 1.5 * line.size["height"]
    scroll, client = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"horizontal scroll at {width}px: {scroll} > {client}"
    external = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert external == 0  # self-contained: no fonts, scripts, images or stylesheets fetched
    direction = browser.execute_script("return document.documentElement.dir")
    assert direction == ("rtl" if locale == "fa" else "ltr")
    _save(browser, sections[0], f"report-{locale}-{width}")


def test_report_in_print_media(browser, reports):
    """Printing: scorecard and findings first, cards never split, what the page shows is what
    a manager needs (points for rates, no command-line hints)."""
    from selenium.webdriver.common.by import By

    _open(browser, reports["en"], DESKTOP)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        breaks = browser.execute_script(
            "return [...document.querySelectorAll('section.kpi')]"
            ".map(e => getComputedStyle(e).breakInside)"
        )
        assert breaks and set(breaks) == {"avoid"}
        tops = browser.execute_script(
            "return ['scorecard', 'findings', 'kpis']"
            ".map(id => document.getElementById(id).getBoundingClientRect().top)"
        )
        assert tops == sorted(tops)
        text = browser.find_element(By.TAG_NAME, "body").text
        assert " pp" in text and "--by" not in text and "--to" not in text
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "report-en-print.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_bullet_targets_sit_where_the_geometry_says(browser, reports):
    _open(browser, reports["en"], DESKTOP)
    found = browser.execute_script(
        """return [...document.querySelectorAll('svg.bullet')].map(svg => {
             const box = svg.getBoundingClientRect();
             const mark = svg.querySelector('.bullet-target').getBoundingClientRect();
             return [(mark.left + mark.width / 2 - box.left) / box.width,
                     parseFloat(svg.dataset.targetX) / svg.viewBox.baseVal.width];
           })"""
    )
    assert len(found) >= 8
    for seen, expected in found:
        assert abs(seen - expected) < 0.03


def test_persian_needs_table_keeps_each_change_in_its_column(browser, reports):
    _open(browser, reports["fa"], DESKTOP)
    drift = browser.execute_script(
        """return [...document.querySelectorAll('table.needs td .pct')].map(pct => {
             const cell = pct.closest('td').getBoundingClientRect();
             const box = pct.getBoundingClientRect();
             return box.left >= cell.left - 1 && box.right <= cell.right + 1;
           })"""
    )
    assert drift and all(drift)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "report-fa-desktop.png"))


def test_printed_pdf_has_few_pages(browser, reports):
    import base64

    pypdf = pytest.importorskip("pypdf")
    from selenium.webdriver.common.print_page_options import PrintOptions

    _open(browser, reports["en"], DESKTOP)
    for paper, size in (("a4", (21.0, 29.7)), ("letter", (21.59, 27.94))):
        options = PrintOptions()
        options.page_width, options.page_height = size
        options.background = True
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"report-en-{paper}.pdf"
        path.write_bytes(base64.b64decode(browser.print_page(options)))
        pages = pypdf.PdfReader(str(path)).pages
        assert len(pages) < 30, (paper, len(pages))


def test_a_pdf_to_standard_output_is_a_pdf(monkeypatch):
    """`kpi report -o - --format pdf` writes the PDF's bytes (a regression tester found the
    HTML written instead, exit 0)."""
    _require_browser()
    pytest.importorskip("selenium.webdriver")
    from click.testing import CliRunner

    from kpiengine.cli import cli

    monkeypatch.setenv("KPIENGINE_CHROMIUM", str(CHROMIUM))
    monkeypatch.setenv("KPIENGINE_CHROMEDRIVER", str(CHROMEDRIVER))
    result = CliRunner().invoke(cli, ["report", "--sample", "-o", "-", "--format", "pdf"])
    assert result.exit_code in (0, 1), result.output
    assert result.stdout_bytes.startswith(b"%PDF-")
