"""The digits demo: a seeded held-out split, a confusion matrix that counts, and a network
that learns from a small subset well above chance (10%). The full run is `make digits`."""

from __future__ import annotations

from pathlib import Path

import pytest

from demos import digits
from micrograd_like import MLP, Value, losses


def test_split_is_seeded_held_out_and_scaled_to_0_1() -> None:
    split = digits.load_split(test_fraction=0.25, seed=3, subset=200)
    assert len(split.test_images) == 50 and len(split.train_images) == 150
    assert split == digits.load_split(test_fraction=0.25, seed=3, subset=200)
    assert split != digits.load_split(test_fraction=0.25, seed=4, subset=200)
    pixels = [p for image in split.train_images + split.test_images for p in image]
    assert min(pixels) == 0.0 and max(pixels) == 1.0
    assert all(len(image) == 64 for image in split.train_images)
    train = {tuple(image) for image in split.train_images}
    assert not any(tuple(image) in train for image in split.test_images)


def test_a_split_with_nothing_to_test_on_says_so() -> None:
    with pytest.raises(ValueError, match=r"3 images with test_fraction 0\.1 leave 0 for testing"):
        digits.load_split(test_fraction=0.1, subset=3)


def test_confusion_matrix_counts_true_rows_against_predicted_columns() -> None:
    matrix = digits.confusion_matrix(predictions=[3, 3, 5, 0], labels=[3, 5, 5, 0])
    assert matrix[3][3] == 1 and matrix[5][3] == 1 and matrix[5][5] == 1 and matrix[0][0] == 1
    assert sum(map(sum, matrix)) == 4


def test_a_small_network_learns_digits_well_above_chance() -> None:
    split = digits.load_split(seed=0, subset=300)
    model = MLP(64, [8, 10], init="he", seed=0)
    costs = digits.train(
        model,
        split.train_images,
        split.train_labels,
        epochs=2,
        batch_size=10,
        lr=0.03,
        show_progress=False,
    )
    assert costs[-1] < costs[0]
    # 225 images seen twice: far from the full run's accuracy, but three times chance
    assert digits.accuracy(digits.predict(model, split.test_images), split.test_labels) > 0.3


def test_replayed_training_equals_eager_training() -> None:
    split = digits.load_split(seed=1, subset=80)  # 60 training images: 5 batches of 12
    models = {replay: MLP(64, [6, 10], init="he", seed=1) for replay in (False, True)}
    costs = {
        replay: digits.train(
            model,
            split.train_images,
            split.train_labels,
            epochs=2,
            batch_size=12,
            lr=0.03,
            replay=replay,
            show_progress=False,
        )
        for replay, model in models.items()
    }
    assert costs[True] == pytest.approx(costs[False], rel=1e-12)
    assert costs[True][-1] < costs[True][0]
    # equal up to rounding: the tape keeps the cross-entropy's max-shift of the batch it was
    # built with, which leaves softmax unchanged but not every last bit of it
    weights = [[p.data for p in model.parameters()] for model in models.values()]
    assert weights[1] == pytest.approx(weights[0], rel=1e-9, abs=1e-12)
    assert weights[1] != [p.data for p in MLP(64, [6, 10], init="he", seed=1).parameters()]


def test_a_batch_tape_gives_each_batch_its_own_cost_and_gradients() -> None:
    split = digits.load_split(seed=2, subset=40)
    model = MLP(64, [5, 10], init="he", seed=2)
    recorded = digits.BatchTape(model, 3)
    for start in (0, 3):  # two different batches through the same graph
        images, labels = (
            split.train_images[start : start + 3],
            split.train_labels[start : start + 3],
        )
        model.zero_grad()
        recorded.load(images, labels)
        recorded.tape.replay()
        replayed = (recorded.cost.data, [p.grad for p in model.parameters()])
        model.zero_grad()
        eager = (
            sum(
                (
                    losses.cross_entropy(digits.logits_of(model, x), y)
                    for x, y in zip(images, labels, strict=True)
                ),
                Value(0.0),
            )
            / 3
        )
        eager.backward()
        assert replayed[0] == pytest.approx(eager.data, rel=1e-12)
        assert replayed[1] == pytest.approx([p.grad for p in model.parameters()], abs=1e-12)


def test_main_writes_the_sample_and_confusion_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digits.main(["--epochs", "1", "--hidden", "4", "--subset", "60", "--output", str(tmp_path)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["digits_confusion.png", "digits_predictions.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in tmp_path.iterdir())
    assert "(replayed: one Tape; load average" in capsys.readouterr().out


def test_main_says_when_it_trains_eagerly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for picture in ("plot_samples", "plot_confusion"):  # drawn by the test above
        monkeypatch.setattr(digits, picture, lambda *args: tmp_path)
    digits.main(
        ["--eager", "--epochs", "1", "--hidden", "2", "--subset", "20", "--output", str(tmp_path)]
    )
    assert "(eager: each batch's graph built anew; load average" in capsys.readouterr().out


class TrainingStarted(Exception):
    """Raised by a stand-in for `digits.train`: main() got as far as training."""


def refuse_to_train(*args: object, **kwargs: object) -> list[float]:
    raise TrainingStarted


def test_a_missing_output_folder_is_created_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "not" / "there" / "yet"
    monkeypatch.setattr(digits, "train", refuse_to_train)
    with pytest.raises(TrainingStarted):
        digits.main(["--subset", "60", "--output", str(folder)])
    assert folder.is_dir()


def test_an_output_path_that_is_a_file_is_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "pictures"
    a_file.write_text("not a folder")
    monkeypatch.setattr(digits, "train", refuse_to_train)
    with pytest.raises(SystemExit) as exit_info:
        digits.main(["--subset", "60", "--output", str(a_file)])
    assert exit_info.value.code == 2
    assert f"--output {a_file}: cannot create the folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option, value",
    [
        ("--lr", "-1"),
        ("--lr", "0"),
        ("--lr", "nan"),
        ("--epochs", "0"),
        ("--batch-size", "0"),
        ("--hidden", "0"),
        ("--subset", "-5"),
    ],
)
def test_a_bad_number_is_a_one_line_usage_error(
    option: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(digits, "train", refuse_to_train)
    with pytest.raises(SystemExit) as exit_info:
        digits.main([option, value])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"argument {option}:" in error and value in error
    assert "Traceback" not in error
