"""`make network-picture`: docs/network_view.png for the README, the network view of the seeds'
3-4-2 network half-way through its backward pass, taken in headless Chromium at 1000 px wide
(readable where a code host shows it 900 px wide)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from demos.network_page import seed_network
from micrograd_like import save_backprop_html
from micrograd_like._io import atomic_write_bytes

TARGET = Path(__file__).resolve().parent.parent / "docs" / "network_view.png"
STEPS = 4  # both output neurons, then two of layer 1: a hidden delta's formula on screen


def main() -> None:
    _, error = seed_network()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,900"):
        options.add_argument(argument)
    with tempfile.TemporaryDirectory() as folder:
        page = save_backprop_html(error, Path(folder) / "network.html", title="The 3-4-2 network")
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(page.as_uri())
            for _ in range(STEPS):
                driver.find_element(By.CSS_SELECTOR, ".pane-network button.next").click()
            picture = driver.find_element(By.ID, "backprop").screenshot_as_png
        finally:
            driver.quit()
    print(f"wrote {atomic_write_bytes(TARGET, picture)}")


if __name__ == "__main__":
    main()
