"""Headless Chromium through Selenium, using Debian's ``chromium`` and ``chromium-driver`` packages.

Without them, tests that ask for ``browser`` skip, saying how to install them. Selenium Manager is never
used (it would try to download a browser): both paths are given explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

INSTALL_HINT = (
    "Chromium is not installed, so the browser tests are skipped. "
    "Install it with: sudo apt-get install -y chromium chromium-driver"
)
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=en-GB",
    "--force-device-scale-factor=1",
)


def chromium_paths() -> tuple[str, str] | None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


@pytest.fixture
def browser(tmp_path: Path):
    paths = chromium_paths()
    if paths is None:
        pytest.skip(INSTALL_HINT)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[test]'")
    binary, driver_path = paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-GB"})
    # The date picker follows the browser's locale: UK order (dd/mm/yyyy), as the partners will see it.
    env = {**os.environ, "LANG": "en_GB.UTF-8", "LANGUAGE": "en_GB:en"}
    driver = webdriver.Chrome(service=Service(executable_path=driver_path, env=env), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, path: Path, width: int) -> Path:
    """The whole page at ``width`` CSS pixels wide (the window grows to the page's height)."""
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 100, 8000))
    driver.save_screenshot(str(path))
    return path
