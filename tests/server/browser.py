"""Headless Chromium for the tests of web pages: Debian's chromium through its chromedriver.

No browser is downloaded: the driver and the browser are the system's
(``apt-get install chromium chromium-driver``). Without them a developer's run
skips the browser tests; CI (``CI`` set) fails instead, since it installs them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("CASHMATCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CASHMATCH_CHROMEDRIVER", "/usr/bin/chromedriver")
# As root in a container: no sandbox, and nothing that reaches out to a network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
)


def require_chromium() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    message = (
        f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} (chromium, chromium-driver)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium(width: int = 1400, height: int = 1000):
    """A Selenium driver of a fresh headless Chromium profile, closed afterwards."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cashmatch-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_page_screenshot(driver, path: str) -> None:
    """A PNG of the whole page: the window grown to the document's height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    driver.set_window_size(max(width, 1200), min(max(height, 600), 12000))
    driver.save_screenshot(path)
