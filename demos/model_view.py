"""The model view: every parameter matrix at a glance (its values and its gradients as heatmaps),
the chain rule for any weight with the engine's numbers, and the gradients' health over training.

    .venv/bin/python demos/model_view.py                  # microgpt at full size, measured
    .venv/bin/python demos/model_view.py --steps 100      # fewer training steps
    .venv/bin/python demos/model_view.py --no-browser     # no timing in Chromium
    .venv/bin/python demos/model_view.py --picture        # and retake docs/model_view.png

`write(folder)`, the tour's part (`make demo`), writes two quick pages: micrograd's network
MLP(2, [16, 16, 1]) trained for a few steps on a batch of ten moons points (an `nn` model: each
layer's W and b), and a tiny microgpt (width 8) trained for 60 steps on names, each with its
gradient health. Run as a program, it trains microgpt at its full size (4,192 weights) with a
`GradientHealth` recording every step, writes the page of one step on an 8-letter name (72,469
nodes) before training and after it, so the two pictures can be compared, and measures what the
page costs: the time to write it, its size, and the time Chromium takes to open it and to walk
from a weight up to the loss.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos import microgpt
from demos.common import output_dir
from micrograd_like import MLP, Value, losses, optim
from micrograd_like._io import atomic_write_bytes
from micrograd_like.datasets import make_moons
from micrograd_like.model_view import GradientHealth, save_model_html

DOCS = Path(__file__).resolve().parent.parent / "docs"


# ---- the two models


def moons_model(steps: int = 30) -> tuple[MLP, Value, GradientHealth]:
    """micrograd's demo network, SGD on ten moons points for `steps` steps with every step's
    health recorded; then the loss of one more forward pass, for the page."""
    points, labels = make_moons(10, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    health = GradientHealth(model)

    def loss() -> Value:
        scores = []
        for x, y in points:
            score = model([Value(x, "x1"), Value(y, "x2")])
            assert isinstance(score, Value)  # one output neuron: a bare Value
            scores.append(score)
        return losses.hinge(scores, [float(label) for label in labels])

    for _ in range(steps):
        optimizer.zero_grad()
        cost = loss()
        cost.backward()
        optimizer.step()
        health.record(cost)
    return model, loss(), health


@dataclass
class Trained:
    """microgpt and what its training recorded."""

    model: microgpt.GPT[Value]
    tokenizer: microgpt.Tokenizer
    health: GradientHealth
    seconds: float


def train_microgpt(config: microgpt.Config, steps: int, seed: int = 42) -> Trained:
    """microgpt's own training (demos/microgpt.py: Adam, one name a step, replayed graphs),
    with a `GradientHealth` recording each step after the update."""
    names = microgpt.load_names()
    docs = list(names)
    random.Random(seed).shuffle(docs)
    tokenizer = microgpt.Tokenizer(docs)
    model = microgpt.build(tokenizer.vocab_size, config, seed)
    health = GradientHealth(model.matrices)
    if steps == 0:
        return Trained(model, tokenizer, health, 0.0)
    optimizer = optim.Adam(
        model.parameters(), lr=lambda k: 0.01 * (1 - k / steps), betas=(0.85, 0.99), eps=1e-8
    )
    replayed = microgpt.ReplayedLoss(model)
    start = time.perf_counter()
    for k in range(steps):
        optimizer.zero_grad()
        loss = replayed.loss(tokenizer.encode(docs[k % len(docs)]))
        optimizer.step()
        health.record(loss)
    return Trained(model, tokenizer, health, time.perf_counter() - start)


def microgpt_loss(trained: Trained, name: str) -> Value:
    """The loss of one step on `name`, its graph built eagerly, so that every weight (the
    embedding rows too) is a node of it."""
    loss = microgpt.document_loss(trained.model, trained.tokenizer.encode(name))
    loss.label = "L"
    return loss


def microgpt_page(trained: Trained, name: str, path: Path, title: str) -> Path:
    """The model page of one step on `name`, with the training's health when it has one."""
    return save_model_html(
        microgpt_loss(trained, name),
        path,
        trained.model.matrices,
        title=title,
        example=f"the name {name!r}: the mean of -log p(next letter) over {len(name) + 1} letters",
        health=trained.health if trained.health.records else None,
    )


# ---- the tour


def write(folder: Path) -> list[Path]:
    """The tour's pages, in `folder`: micrograd's network on a batch of moons points, and a
    tiny microgpt after 60 steps (about a second in all)."""
    _, loss, health = moons_model()
    moons = save_model_html(
        loss,
        folder / "model_moons.html",
        title="MLP(2, [16, 16, 1]) on ten moons points",
        example="a batch of ten points of the two moons, after 30 steps of SGD",
        health=health,
    )
    trained = train_microgpt(microgpt.TINY, 60)
    tiny = microgpt_page(trained, "emma", folder / "model_microgpt_tiny.html", "A tiny microgpt")
    return [moons, tiny]


def main() -> None:
    for path in write(output_dir()):
        print(f"The model view (heatmaps, then click a weight for its chain rule): {path}")


# ---- measured at full size


@dataclass
class Measured:
    path: Path
    nodes: int
    write_seconds: float
    megabytes: float
    open_seconds: float | None = None
    walk_seconds: float | None = None


def measure(steps: int, browser: bool, picture: bool) -> list[Measured]:
    """microgpt at full size before and after `steps` steps, and micrograd's network on a
    batch: each page's writing time, size and, with `browser`, the time Chromium takes to open
    it and to walk up to the loss. `picture` retakes docs/model_view.png from the trained page."""
    folder = output_dir()
    name = "adelaida"  # 8 letters: one step is 72,469 nodes
    found: list[Measured] = []

    def timed(loss: Value, write_page: Callable[[], Path]) -> None:
        start = time.perf_counter()
        path = write_page()
        seconds = time.perf_counter() - start
        nodes = len(loss.topological_order())
        found.append(Measured(path, nodes, seconds, path.stat().st_size / 1e6))

    untrained = train_microgpt(microgpt.Config(), 0)
    before = folder / "model_microgpt_step0.html"
    title = "microgpt before training"
    timed(microgpt_loss(untrained, name), lambda: microgpt_page(untrained, name, before, title))
    print(f"training microgpt for {steps} steps, recording its gradient health at each ...")
    trained = train_microgpt(microgpt.Config(), steps)
    print(f"  {trained.seconds:.1f} s")
    after = folder / f"model_microgpt_step{steps}.html"
    title = f"microgpt after {steps} steps"
    timed(microgpt_loss(trained, name), lambda: microgpt_page(trained, name, after, title))
    moons = folder / "model_moons_batch.html"
    model, loss, health = moons_model()
    title = "MLP(2, [16, 16, 1]) on ten points"
    timed(loss, lambda: save_model_html(loss, moons, model, health=health, title=title))
    print_health(trained.health)
    if browser:
        open_in_chromium(found, picture)
    print()
    print(f"{'page':<34} {'nodes':>8} {'write':>8} {'size':>9} {'open':>8} {'to L':>8}")
    for each in found:
        opened = "" if each.open_seconds is None else f"{each.open_seconds:.2f} s"
        walked = "" if each.walk_seconds is None else f"{each.walk_seconds:.2f} s"
        print(
            f"{each.path.name:<34} {each.nodes:>8,} {each.write_seconds:>6.2f} s "
            f"{each.megabytes:>6.2f} MB {opened:>8} {walked:>8}"
        )
    return found


def print_health(health: GradientHealth) -> None:
    """How the gradients changed over training, at a few of the recorded steps."""
    records = health.records
    if not records:
        return
    shown = sorted({0, len(records) // 10, len(records) // 2, len(records) - 1})
    names = ["wte", "B1.wq", "B1.fc1", "lm_head"]
    print("step    loss   " + "  ".join(f"|dL/d{n}|".rjust(13) for n in names), end="")
    print("   |dW|/|W| fc1   dead fc1 units")
    for k in shown:
        r = records[k]
        norms = "  ".join(f"{r.grad_norm[n]:13.4f}" for n in names)
        ratio = r.update_ratio["B1.fc1"]
        units = r.units.get("B1.fc1")
        dead = "" if units is None else f"{units.dead} of {units.units}"
        loss = float("nan") if r.loss is None else r.loss
        print(f"{r.step:>4} {loss:7.3f}   {norms}   {ratio or 0:12.2e}   {dead:>14}")


def open_in_chromium(pages: list[Measured], picture: bool) -> None:
    """Each page's time to open in headless Chromium (until its numbers are drawn) and to walk
    from the selected weight up to the loss; with `picture`, docs/model_view.png."""
    try:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        from tests.chromium import CHROMIUM, chromium
    except ImportError as error:
        print(f"no timing in a browser: {error}")
        return
    if not Path(CHROMIUM).exists():
        print(f"no timing in a browser: no Chromium at {CHROMIUM}")
        return
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile), (1200, 1000)) as driver:
        for page in pages:
            start = time.perf_counter()
            driver.get(page.path.as_uri())
            WebDriverWait(driver, 120).until(
                lambda d: d.find_element(By.ID, "model").get_attribute("data-ready")
            )
            page.open_seconds = time.perf_counter() - start
            start = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, "button.mv-end").click()
            driver.find_element(By.CSS_SELECTOR, ".mv-status")  # drawn by then: clicks are sync
            page.walk_seconds = time.perf_counter() - start
        if picture:  # the trained page: wte's row for "a" (3 uses in "adelaida"), one hop up
            driver.set_window_size(1200, 1180)
            driver.get(pages[1].path.as_uri())
            WebDriverWait(driver, 120).until(
                lambda d: d.find_element(By.ID, "model").get_attribute("data-ready")
            )
            canvas = driver.find_element(By.CSS_SELECTOR, ".mv-card canvas.mv-grad")
            cell = int(canvas.get_attribute("data-cell") or 0)
            left = 1 + 2 * cell + cell // 2 - canvas.size["width"] // 2  # column 2 of row 0
            top = 1 + cell // 2 - canvas.size["height"] // 2
            ActionChains(driver).move_to_element_with_offset(canvas, left, top).click().perform()
            driver.find_element(By.CSS_SELECTOR, ".mv-sum li.mv-term").click()  # one hop up
            driver.execute_script("window.scrollTo(0, 0)")
            shot = DOCS / "model_view.png"
            print(f"wrote {atomic_write_bytes(shot, driver.get_screenshot_as_png())}")


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    parser.add_argument("--no-browser", action="store_true", help="no timing in Chromium")
    parser.add_argument("--picture", action="store_true", help="retake docs/model_view.png")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    measure(args.steps, browser=not args.no_browser, picture=args.picture)


if __name__ == "__main__":
    run()
