"""The benchmark compares like with like: the plain-float network computes the same cost,
gradients and update as the engine, and the script's tables and README writing work."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from micrograd.engine import Value as MicrogradValue

from benchmarks.bench import (
    CLOSURES,
    END,
    MICROGRAD,
    OURS,
    PAUSED,
    PLAIN,
    REPLAY,
    START,
    TUPLES,
    Config,
    PlainMLP,
    Replayed,
    autograd_step,
    bare_chain,
    bench_chain,
    bench_microgpt,
    check_same_cost,
    gpt_runs,
    gpt_table,
    initial_parameters,
    main,
    micrograd_like_mlp,
    micrograd_mlp,
    micrograd_node_count,
    moons_cost,
    replace_between_markers,
    run,
    scorer,
)
from demos.microgpt import TINY
from micrograd_like.datasets import make_moons
from micrograd_like.engine import Value

SIZES = (2, 16, 16, 1)
POINTS, LABELS = make_moons(100, noise=0.1, seed=3)
VALUES = initial_parameters(SIZES, seed=5)


def quiet(message: str) -> None:
    """A log that prints nothing."""


def test_plain_cost_and_gradients_equal_the_engines_on_the_moons_network() -> None:
    model = micrograd_like_mlp(SIZES, VALUES)
    cost = moons_cost(scorer(model), model.parameters(), Value, POINTS, LABELS)
    cost.backward()
    plain_cost, grads = PlainMLP(SIZES, VALUES).cost_and_gradients(POINTS, LABELS)
    plain_grads = [g for layer in grads for neuron in layer for g in neuron]
    assert plain_cost == pytest.approx(cost.data, rel=0, abs=1e-9)
    assert any(g != 0.0 for g in plain_grads)
    assert plain_grads == pytest.approx([p.grad for p in model.parameters()], rel=0, abs=1e-9)


def test_plain_gradients_equal_central_finite_differences() -> None:
    sizes, points, labels = (2, 3, 3, 1), POINTS[::10], LABELS[::10]
    # random biases too: with zero biases a dead layer feeds a 0 into the next relu's kink
    rng = random.Random(7)
    values = [rng.uniform(-1.0, 1.0) for _ in initial_parameters(sizes, seed=7)]
    _, grads = PlainMLP(sizes, values).cost_and_gradients(points, labels)
    analytic = [g for layer in grads for neuron in layer for g in neuron]
    h = 1e-6
    for i in range(len(values)):
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        cost_up = PlainMLP(sizes, up).cost_and_gradients(points, labels)[0]
        cost_down = PlainMLP(sizes, down).cost_and_gradients(points, labels)[0]
        assert analytic[i] == pytest.approx((cost_up - cost_down) / (2 * h), abs=1e-7), i


def test_one_sgd_step_moves_plain_and_engine_weights_alike() -> None:
    model, plain = micrograd_like_mlp(SIZES, VALUES), PlainMLP(SIZES, VALUES)
    autograd_step(scorer(model), model.parameters(), Value, POINTS, LABELS, lr=0.5)
    plain.step(POINTS, LABELS, lr=0.5)
    assert plain.parameters() != VALUES
    assert plain.parameters() == pytest.approx(
        [p.data for p in model.parameters()], rel=0, abs=1e-9
    )


def test_micrograd_builds_the_same_graph_as_the_hand_count() -> None:
    sizes, points, labels = (2, 3, 1), POINTS[:4], LABELS[:4]
    values = initial_parameters(sizes, seed=7)
    ours, theirs = micrograd_like_mlp(sizes, values), micrograd_mlp(sizes, values)
    # per point: 2 inputs, 3 neurons of 2 products + 2 sums + relu, 1 of 3 products + 3 sums,
    # then -y * score, 1 + that, relu (5 nodes with the 2 constants); once: 13 parameters,
    # 13 squares, their sum (14 with its start), times alpha (2), the margins' sum (4 + 1) and
    # mean (2), the total (1)
    hand_count = 4 * (2 + 3 * 5 + 6 + 5) + 13 + 13 + 14 + 2 + 5 + 2 + 1
    our_cost = moons_cost(scorer(ours), ours.parameters(), Value, points, labels)
    their_cost = moons_cost(theirs, theirs.parameters(), MicrogradValue, points, labels)
    assert len(our_cost.topological_order()) == hand_count
    assert micrograd_node_count(their_cost) == hand_count
    assert their_cost.data == pytest.approx(our_cost.data, rel=0, abs=1e-12)


def test_engines_that_disagree_on_the_first_cost_stop_the_benchmark() -> None:
    check_same_cost({"a": 0.5, "b": 0.5 + 1e-12})
    with pytest.raises(RuntimeError, match=r"disagree.*a 0\.5, b 0\.5001"):
        check_same_cost({"a": 0.5, "b": 0.5001})


def test_micrograds_recursion_error_is_reported_and_deeper_chains_skipped() -> None:
    config = Config(repeats=1, chain_lengths=(10, 2_000, 3_000), chain_sample_nodes=6_000)
    rows = bench_chain(config, quiet)
    assert isinstance(rows[0].micrograd, float)
    assert rows[1].micrograd == "RecursionError"
    assert rows[2].micrograd == "not run (RecursionError at 2,000)"
    assert all(row.seconds > 0 for row in rows)
    assert all(row.bare > 0 and row.bare_collector_paused > 0 for row in rows)


def test_a_bare_chain_is_as_long_as_asked_and_holds_what_a_node_holds() -> None:
    end = bare_chain(3)
    links = 0
    while end.input1 is not None:
        assert (end.op, end.input2, vars(end)) == ("*", None, {})
        end, links = end.input1, links + 1
    assert links == 3


def test_quick_run_prints_all_tables_on_a_tiny_config() -> None:
    table = run(
        Config(repeats=1, points=6, sizes=(2, 3, 1), chain_lengths=(10, 20), chain_sample_nodes=40),
        quiet,
        TINY,
        2,
    )
    for row in (
        MICROGRAD,
        OURS,
        PAUSED,
        REPLAY,
        PLAIN,
        TUPLES,
        CLOSURES,
        "| 10 |",
        "| 20 |",
        "bare objects, ns / node (on / paused)",
        "faster",
        "CPUs",
    ):
        assert row in table


def test_the_table_replaces_only_the_text_between_the_markers() -> None:
    readme = f"intro\n{START}\nold table\n{END}\noutro\n"
    assert replace_between_markers(readme, "new") == f"intro\n{START}\nnew\n{END}\noutro\n"


def test_write_readme_without_markers_exits_before_measuring(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    with pytest.raises(SystemExit, match="bench:start"):
        main(["--write-readme", "--readme", str(readme)])
    assert readme.read_text() == "no markers here\n"


def test_write_readme_puts_the_printed_tables_between_the_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\n{END}\n")
    monkeypatch.setattr("benchmarks.bench.run", lambda config, log: f"{config.repeats} repeats")
    main(["--quick", "--write-readme", "--readme", str(readme)])
    assert capsys.readouterr().out == "3 repeats\n"
    assert readme.read_text() == f"intro\n{START}\n3 repeats\n{END}\n"


# ---- microgpt's step with three engine designs


def test_the_three_engine_designs_agree_on_the_gpt_loss_and_gradients() -> None:
    runs = gpt_runs(TINY, documents=3)
    losses = {name: run.loss(0) for name, run in runs.items()}  # replayed: backward done too
    assert losses.keys() == {OURS, REPLAY, TUPLES, CLOSURES}
    for name, loss in losses.items():
        if name != REPLAY:
            loss.backward()
    ours = [p.grad for p in runs[OURS].model.parameters()]
    assert any(g != 0.0 for g in ours)
    for name in (REPLAY, TUPLES, CLOSURES):
        assert losses[name].data == pytest.approx(losses[OURS].data, rel=1e-12)
        theirs = [p.grad for p in runs[name].model.parameters()]
        assert theirs == pytest.approx(ours, rel=1e-9, abs=1e-12), name


def test_a_gpt_step_moves_every_engines_weights_alike() -> None:
    runs = gpt_runs(TINY, documents=3)
    costs = {name: run.step(0) for name, run in runs.items()}
    check_same_cost(costs)
    ours = [p.data for p in runs[OURS].model.parameters()]
    for name in (REPLAY, TUPLES, CLOSURES):
        assert [p.data for p in runs[name].model.parameters()] == pytest.approx(ours, abs=1e-12)


def test_microgpt_step_rows_count_the_same_graph_for_the_tuple_and_closure_designs() -> None:
    result = bench_microgpt(Config(repeats=1), quiet, TINY, letters=2)
    by_name = {row.name: row for row in result.rows}
    assert by_name[TUPLES].nodes == by_name[CLOSURES].nodes
    # ours divides in one node where the others multiply by a reciprocal: fewer nodes, not more
    assert (by_name[OURS].nodes or 0) < (by_name[TUPLES].nodes or 0)
    assert by_name[REPLAY].nodes is not None and by_name[REPLAY].peak_bytes is not None
    table = "\n".join(gpt_table(Config(repeats=1), result))
    assert "| speed-up over microgpt's design |" in table
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    assert rows["| microgpt's design"].endswith(" | 1.0x |")
    assert rows["| micrograd's design"].endswith("x |")
    assert len(rows["| micrograd_like, replayed"].split(" | ")) == 6
    assert "1 block, width 8, 2 heads, 1,264 weights, reading a 2-letter name" in table


def test_replayed_training_follows_eager_training_step_for_step() -> None:
    sizes, points, labels = (2, 4, 1), POINTS[:10], LABELS[:10]
    values = initial_parameters(sizes, seed=9)
    eager, replayed = (
        micrograd_like_mlp(sizes, values),
        Replayed(micrograd_like_mlp(sizes, values), points, labels),
    )
    for k in range(4):
        cost = autograd_step(scorer(eager), eager.parameters(), Value, points, labels, 0.3)
        assert replayed.step(0.3) == cost, k  # the same ops in the same order: bit for bit
    assert [p.data for p in replayed.parameters] == [p.data for p in eager.parameters()]
