"""Worksheets with answer keys: the backward pass of three graphs as pages to print and fill in.

- `worksheet_neuron.html`, and its key `worksheet_neuron_key.html`: the seeds' one neuron,
  a = sigmoid(W a_prev + b) with cost C = (a - y)^2, every gradient asked; a page each.
- `worksheet_342.html`: the seeds' 3-4-2 sigmoid network, each neuron's δ from the output layer
  back (δ_2 from the cost, δ_1 = (W_2^T δ_2) ⊙ σ'(z_1)); its drawing is printed in parts, and
  the key follows the questions on a page of its own.
- `worksheet_expression.html`: a learner's own expression, typed as text, the partial
  derivatives seed's f = 2x^2 + 3xy + y^3 at x = 1, y = 2, asking only the leaves: the
  gradient (4x + 3y, 3x + 3y^2) = (10, 15), found by backprop.

Open them in a browser and print (A4 or Letter), or "Save as PDF".

`python demos/worksheet.py --pictures` prints the neuron's worksheet and its key on A4 in
headless Chromium (Debian's chromium and chromedriver, as the browser tests use) and writes the
printed pages, as Chromium's PDF viewer shows them, to docs/worksheet.png and
docs/worksheet_key.png.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from demos.network_page import seed_network
from demos.one_neuron_graph import build as one_neuron
from micrograd_like import save_worksheet
from micrograd_like._io import atomic_write_bytes
from micrograd_like.expr import parse_expression

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAPERS = {"A4": (210 / 25.4, 297 / 25.4), "Letter": (8.5, 11.0)}
"""Paper sizes in inches, as Chromium's printToPDF takes them."""
EXPRESSION = "f = 2*x**2 + 3*x*y + y**3"


def write(folder: Path) -> list[Path]:
    """Write the three worksheets (and the neuron's key, in a file of its own) into `folder`;
    return every file written, the worksheets' keys beside them."""
    neuron = folder / "worksheet_neuron.html"
    neuron_key = folder / "worksheet_neuron_key.html"
    save_worksheet(
        one_neuron(),
        neuron,
        key_path=neuron_key,
        title="One neuron: a = σ(W a_prev + b), C = (a − y)²",
    )
    _, error = seed_network()
    network = save_worksheet(
        error,
        folder / "worksheet_342.html",
        ask="deltas",
        title="The 3-4-2 network: every neuron's δ",
    )
    f = parse_expression(EXPRESSION).build({"x": 1.0, "y": 2.0}).out
    expression = save_worksheet(
        f,
        folder / "worksheet_expression.html",
        ask="leaves",
        title=f"Your expression: {EXPRESSION}, at x = 1, y = 2",
    )
    return [neuron, neuron_key, network, expression]


def main() -> None:
    neuron, neuron_key, network, expression = write(output_dir())
    print("Worksheets to print (open in a browser, then Print or Save as PDF; A4 or Letter):")
    print(f"  the seeds' one neuron, every gradient: {neuron}")
    print(f"    its answer key: {neuron_key}")
    print(f"  the 3-4-2 network, every neuron's δ (the key after the questions): {network}")
    print(f"  {EXPRESSION} at x = 1, y = 2, the leaves' gradients: {expression}")


# ---- printing, for the README's pictures (and the tests of printing)


def print_pdf(driver: WebDriver, page: Path, paper: str) -> bytes:
    """`page` printed by Chromium to PDF on `paper` ("A4" or "Letter"), as a browser's "Save as
    PDF" prints it: the page's own margins and print stylesheet, backgrounds printed."""
    width, height = PAPERS[paper]
    driver.get(page.resolve().as_uri())
    printed = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {"paperWidth": width, "paperHeight": height, "printBackground": True},
    )
    return base64.b64decode(printed["data"])


def printed_page_png(driver: WebDriver, pdf: Path, timeout: float = 20.0) -> bytes:
    """The first page of `pdf` as Chromium's PDF viewer shows it, cropped to the paper: a PNG.

    The viewer draws the page white on a dark background; the picture is the bounding box of
    the white, taken once two screenshots in a row agree (the viewer has finished drawing)."""
    from PIL import Image

    driver.get(f"{pdf.resolve().as_uri()}#toolbar=0&navpanes=0&view=Fit")
    deadline = time.monotonic() + timeout
    last = b""
    while time.monotonic() < deadline:
        time.sleep(0.5)
        shot = driver.get_screenshot_as_png()
        picture = Image.open(io.BytesIO(shot)).convert("RGB")
        paper = picture.convert("L").point(lambda level: 255 if level > 250 else 0).getbbox()
        if paper is not None and shot == last:
            buffer = io.BytesIO()
            picture.crop(paper).save(buffer, format="PNG", optimize=True)
            return buffer.getvalue()
        last = shot
    raise TimeoutError(f"Chromium's PDF viewer did not settle on {pdf} in {timeout} s")


def pictures(folder: Path = DOCS) -> list[Path]:
    """docs/worksheet.png and docs/worksheet_key.png: the neuron's worksheet and its key,
    printed on A4 by headless Chromium, each page as the PDF viewer shows it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,1400"):
        options.add_argument(argument)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        neuron, key, *_ = write(Path(scratch))
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            for page, name in ((neuron, "worksheet.png"), (key, "worksheet_key.png")):
                pdf = page.with_suffix(".pdf")
                pdf.write_bytes(print_pdf(driver, page, "A4"))
                written.append(atomic_write_bytes(folder / name, printed_page_png(driver, pdf)))
        finally:
            driver.quit()
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pictures",
        action="store_true",
        help="print the neuron's worksheet and key in headless Chromium into docs/*.png",
    )
    if parser.parse_args().pictures:
        for path in pictures():
            print(f"wrote {path}")
    else:
        main()
