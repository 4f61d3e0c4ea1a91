"""The moons demo trains micrograd's network, records its curves and draws two pictures; its
replayed graph (a Tape) trains exactly as building the graph again at every step does."""

from __future__ import annotations

from pathlib import Path

from demos.moons import draw, train


def test_a_short_run_records_a_falling_cost_and_draws_both_pictures(tmp_path: Path) -> None:
    result = train(steps=3, progress=False)
    assert len(result.losses) == len(result.accuracies) == 3
    assert result.losses[-1] < result.losses[0]
    assert 0.5 <= result.final_accuracy <= 1.0
    paths = draw(result, tmp_path, grid=8)
    assert [p.name for p in paths] == ["moons_boundary.png", "moons_training.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in paths]


def test_replayed_training_gives_the_eager_costs_and_weights_bit_for_bit() -> None:
    eager = train(steps=4, progress=False, replay=False)
    replayed = train(steps=4, progress=False, replay=True)
    assert (eager.replayed, replayed.replayed) == (False, True)
    assert replayed.losses == eager.losses
    assert replayed.accuracies == eager.accuracies
    weights = [p.data for p in eager.model.parameters()]
    assert [p.data for p in replayed.model.parameters()] == weights
    assert weights != [p.data for p in train(steps=1, progress=False).model.parameters()]
