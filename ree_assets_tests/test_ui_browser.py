"""The Dagster UI in a real browser: headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
driven by Selenium) on a webserver on loopback shows every asset group in the asset graph and
materialises a small asset from its page; screenshots go to ``data/reports/ui/``."""

import shutil
import time

import pytest

from ree_assets.defs.resources import reports_dir
from ree_assets_tests.webserver import graphql, running_webserver

pytestmark = pytest.mark.slow
webdriver = pytest.importorskip("selenium.webdriver", reason="the optional extra `browser` (selenium) is not installed")
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SMALL_ASSET = "ree_complementarity"
RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"


@pytest.fixture
def browser():
    """Headless Chromium driven by the system ``chromedriver`` (no browser download)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("Debian packages chromium and chromium-driver are not installed (make test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver), options=options)
    yield chrome
    chrome.quit()


def _skip_welcome(browser, wait: WebDriverWait) -> None:
    """Close the UI's first-visit community dialog when it shows."""
    buttons = browser.find_elements(By.XPATH, "//button[normalize-space()='Skip']")
    if buttons:
        buttons[0].click()
        wait.until(ec.invisibility_of_element(buttons[0]))


def _text_shown(browser, text: str) -> bool:
    return text in browser.find_element(By.TAG_NAME, "body").text


def test_the_asset_graph_shows_every_group_and_a_materialisation_succeeds(tmp_path, browser):
    shots = reports_dir() / "ui"
    shots.mkdir(parents=True, exist_ok=True)
    with running_webserver(tmp_path, REE_DUCKDB_PATH=str(tmp_path / "ree.duckdb"), REE_WORLD_SIZE="small") as url:
        groups = sorted({n["groupName"] for n in graphql(url, "{ assetNodes { groupName } }")["assetNodes"]})
        # guards against a hang, not a timing assertion; the UI re-renders while it loads
        wait = WebDriverWait(
            browser, 60, ignored_exceptions=(StaleElementReferenceException, ElementClickInterceptedException)
        )
        browser.get(f"{url}/asset-groups")
        wait.until(lambda b: all(_text_shown(b, group) for group in groups))
        _skip_welcome(browser, wait)
        assert {"sources", "io_table", "ge_model"} <= set(groups)
        time.sleep(1)  # let the graph finish its layout animation before the picture
        browser.save_screenshot(str(shots / "asset_graph.png"))

        browser.get(f"{url}/assets/{SMALL_ASSET}")
        _skip_welcome(browser, wait)
        wait.until(lambda b: b.find_element(By.XPATH, "//button[normalize-space()='Materialize']").click() or True)
        wait.until(lambda _: graphql(url, RUNS)["runsOrError"]["results"])
        run = graphql(url, RUNS)["runsOrError"]["results"][0]
        WebDriverWait(browser, 120).until(
            lambda _: graphql(url, RUNS)["runsOrError"]["results"][0]["status"] in ("SUCCESS", "FAILURE", "CANCELED")
        )
        status = graphql(url, RUNS)["runsOrError"]["results"][0]["status"]
        browser.get(f"{url}/runs/{run['runId']}")
        wait.until(lambda b: _text_shown(b, SMALL_ASSET))
        time.sleep(1)
        browser.save_screenshot(str(shots / "materialisation_run.png"))
        assert status == "SUCCESS", (
            f"the run launched from the UI ended {status}; see {shots / 'materialisation_run.png'}"
        )
