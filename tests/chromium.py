"""One way to start headless Chromium for the browser tests (Debian's chromium and
chromium-driver, which .ci/run installs): skipped on a machine without them, never in CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@contextmanager
def chromium(profile: Path, window: tuple[int, int] | None = None) -> Iterator[WebDriver]:
    """A headless Chromium with a fresh profile folder, its browser log kept, always quit.

    The flags keep it off the network (this machine's is closed) and out of the sandbox that
    root cannot use.
    """
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (.ci/run installs it; CI must not skip)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    arguments = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    if window is not None:
        arguments.append(f"--window-size={window[0]},{window[1]}")
    for argument in arguments:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
