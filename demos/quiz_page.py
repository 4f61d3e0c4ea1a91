"""Predict, then reveal: the stepping pages with their quiz on.

- `quiz.html`: the seeds' one neuron, C = (sigmoid(W a_prev + b) - y)^2. Each step asks for the
  shares it passes back (dC/dW += ∂mul4/∂W × dC/dmul4) before showing them.
- `quiz_network.html`: the seeds' 3-4-2 network, one neuron a step, asking dC/da, δ and dC/dw.

Type a prediction and press Enter; a wrong one gets a hint (which local derivative and which
upstream gradient meet, then their numbers), ? asks for one, Esc reveals the answer.

`python demos/quiz_page.py` writes both pages to demos/output/; `python demos/quiz_page.py
--picture` retakes docs/quiz.png for the README from the real page in headless Chromium: a
right answer, a wrong one with its hint, and the score.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from demos.network_page import seed_network
from demos.one_neuron_graph import build
from micrograd_like import save_backprop_html
from micrograd_like._io import atomic_write_bytes

PICTURE = Path(__file__).resolve().parent.parent / "docs" / "quiz.png"
WIDTH = 1000  # px: readable where a code host shows the README 900 px wide


def write(folder: Path) -> list[Path]:
    """Write the two quiz pages into `folder` and return their paths."""
    one = save_backprop_html(
        build(),
        folder / "quiz.html",
        title="Quiz: one neuron, C = (sigmoid(W a_prev + b) - y)^2",
        quiz=True,
    )
    _, error = seed_network()
    network = save_backprop_html(
        error, folder / "quiz_network.html", title="Quiz: the 3-4-2 network", quiz=True
    )
    return [one, network]


def picture(target: Path = PICTURE) -> Path:
    """docs/quiz.png: the one-neuron quiz at its second step, driven with the keyboard as a
    learner would. Step 1 answered right (dC/dsub7 = 0.5717), then dC/da right, then dC/dy
    answered 0.5717, the sign forgotten: the page says no and gives the first hint, which
    local derivative (∂sub7/∂y, which is -1) and which upstream gradient meet."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--window-size={WIDTH},900",
    ):
        options.add_argument(argument)
    with tempfile.TemporaryDirectory() as folder:
        page = write(Path(folder))[0]
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(page.as_uri())

            def keys(*sent: str) -> None:
                driver.switch_to.active_element.send_keys(*sent)

            keys(Keys.ARROW_RIGHT)
            keys("0.5717", Keys.ENTER)  # dC/dsub7 = ∂C/∂sub7 × dC/dC: right
            keys(Keys.ARROW_RIGHT)
            keys("0.5717", Keys.ENTER)  # dC/da = ∂sub7/∂a × dC/dsub7: right
            keys("0.5717", Keys.ENTER)  # dC/dy: the sign forgotten, so a hint
            mount = driver.find_element(By.ID, "backprop")
            top = mount.location["y"]
            lines = driver.find_element(By.CSS_SELECTOR, "#backprop .lines")
            bottom = lines.location["y"] + lines.size["height"] + 8
            driver.set_window_size(WIDTH, bottom + 200)
            shot = mount.screenshot_as_png
        finally:
            driver.quit()
    return atomic_write_bytes(target, _cropped(shot, bottom - top))


def _cropped(png: bytes, height: int) -> bytes:
    """The top `height` px of a PNG: the quiz, the graph and the step's lines, not the table."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        top = image.crop((0, 0, image.width, min(height, image.height)))
        out = io.BytesIO()
        top.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--picture", action="store_true", help=f"retake {PICTURE}")
    if parser.parse_args(argv).picture:
        print(f"wrote {picture()}")
        return
    one, network = write(output_dir())
    print(f"Predict, then reveal, one neuron: {one}")
    print(f"and the 3-4-2 network, neuron by neuron: {network}")


if __name__ == "__main__":
    main()
