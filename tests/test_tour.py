"""`make demo`: every demo is in the tour, and the first sections draw what they promise."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from demos import backprop_page, common, one_neuron_graph, tour

# helpers, and demos too long for a tour: `make digits`, `make microgpt`
NOT_IN_THE_TOUR = {"common", "digits", "microgpt", "tour", "__init__"}


def test_every_demo_is_in_the_tour() -> None:
    demos = {path.stem for path in Path(tour.__file__).parent.glob("*.py")} - NOT_IN_THE_TOUR
    toured = {section.__module__.rsplit(".", 1)[-1] for section in tour.SECTIONS}
    assert toured == demos


def test_the_one_neuron_demo_prints_the_seeds_gradients_and_draws_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(common, "OUTPUT", tmp_path)
    one_neuron_graph.main()
    a = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))  # the activation, by hand
    d_weight = 2 * (a - 0.5) * a * (1 - a) * 1.5  # dC/dW = 2(a - y) sigma'(O) a_prev
    printed = capsys.readouterr().out
    assert f"Value(data=0.8, grad={round(d_weight, 4)}, label='W')" in printed
    picture = tmp_path / "one_neuron.svg"
    assert str(picture) in printed
    assert picture.read_bytes().lstrip().startswith(b"<?xml")


def test_the_backprop_page_demo_writes_a_self_contained_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(common, "OUTPUT", tmp_path)
    backprop_page.main()
    page = tmp_path / "backprop.html"
    assert str(page) in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert "\\u003csvg" in text  # the drawing, in the page's data block ("<" escaped)
    assert "http://" not in text.replace("http://www.w3.org", "")
