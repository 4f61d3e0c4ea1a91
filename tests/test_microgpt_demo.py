"""The microgpt demo: names from the `names` package, its GPT's gradients against finite
differences, training that lowers the cost, sampling, and a tiny run of the script."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from demos.microgpt import (
    TINY,
    Config,
    ReplayedLoss,
    Tokenizer,
    build,
    document_loss,
    load_names,
    main,
    rmsnorm,
    sample,
    softmax,
    train,
)
from micrograd_like import Value


def test_names_come_from_the_names_package_lower_case_and_unique() -> None:
    names = load_names()
    assert len(names) > 5000
    assert {"mary", "james", "linda"} <= set(names)
    assert names == sorted(set(names))
    assert all(name.isalpha() and name.islower() for name in names)


def test_tokenizer_wraps_a_name_in_bos_and_decodes_it_back() -> None:
    tokenizer = Tokenizer(["ab", "ca"])
    assert tokenizer.characters == ["a", "b", "c"]
    assert tokenizer.encode("cab") == [3, 2, 0, 1, 3]
    assert tokenizer.decode(tokenizer.encode("cab")) == "cab"
    assert tokenizer.vocab_size == 4


def test_rmsnorm_by_hand() -> None:
    # mean of squares (9 + 16) / 2 = 12.5, so each entry is divided by sqrt(12.5 + 1e-5)
    out = rmsnorm([Value(3.0), Value(4.0)])
    root = math.sqrt(12.5 + 1e-5)
    assert [o.data for o in out] == pytest.approx([3 / root, 4 / root], rel=1e-12)


def test_softmax_is_shift_free_and_sums_to_one() -> None:
    probabilities = softmax([Value(1000.0), Value(1001.0)])  # exp(1001) alone would overflow
    e = math.exp(1.0)
    assert [p.data for p in probabilities] == pytest.approx([1 / (1 + e), e / (1 + e)])


def test_gpt_gradients_equal_central_finite_differences() -> None:
    tokenizer = Tokenizer(["abc"])
    model = build(tokenizer.vocab_size, TINY, seed=3)
    tokens = tokenizer.encode("cab")
    loss = document_loss(model, tokens)
    loss.backward()
    params = model.parameters()
    checked = random.Random(0).sample(range(len(params)), 25)
    h = 1e-6
    for i in checked:
        p = params[i]
        if p.grad == 0.0 and p.label.startswith(("wte", "wpe")):
            continue  # a row no token of this name reads
        original = p.data
        p.data = original + h
        up = document_loss(model, tokens).data
        p.data = original - h
        down = document_loss(model, tokens).data
        p.data = original
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-8), p.label


def test_training_on_one_name_lowers_its_cost() -> None:
    result = train(["anna"], steps=15, config=TINY, lr=0.05, progress=False)
    assert len(result.losses) == 15
    assert result.losses[-1] < 0.8 * result.losses[0]
    assert all(math.isfinite(loss) for loss in result.losses)


def test_sampling_draws_known_characters_and_leaves_the_weights_as_found() -> None:
    result = train(["anna", "bob"], steps=2, config=TINY, progress=False)
    before = [(p.data, p.grad) for p in result.model.parameters()]
    names = [sample(result.model, result.tokenizer, random.Random(1)) for _ in range(3)]
    again = [sample(result.model, result.tokenizer, random.Random(1)) for _ in range(3)]
    assert names == again
    assert all(set(name) <= {"a", "b", "n", "o"} for name in names)
    assert all(len(name) <= TINY.block_size for name in names)
    assert [(p.data, p.grad) for p in result.model.parameters()] == before


def test_a_bad_config_is_refused_with_its_numbers() -> None:
    with pytest.raises(ValueError, match=r"n_embd \(10\) must be a multiple of n_head \(4\)"):
        Config(n_embd=10, n_head=4)


def test_the_script_trains_a_tiny_gpt_prints_names_and_writes_its_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "model.html"
    main(["--tiny", "--steps", "3", "--samples", "2", "--page", str(page)])
    out = capsys.readouterr().out
    assert "trained 3 steps" in out
    assert "  1: " in out and "  2: " in out
    assert f"as a page: {page}" in out
    assert "microgpt after 3 steps" in page.read_text(encoding="utf-8")


def eager_grads(model_seed: int, tokenizer: Tokenizer, name: str) -> tuple[float, list[float]]:
    """The oracle: a fresh model's graph for `name`, built and differentiated eagerly."""
    model = build(tokenizer.vocab_size, TINY, seed=model_seed)
    loss = document_loss(model, tokenizer.encode(name))
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


def test_replayed_loss_gives_the_eager_loss_and_gradients_for_names_of_any_length() -> None:
    """One recording per length, reused for other names; repeated letters (the same embedding
    row read twice) and a name longer than the context are included."""
    names = ["anna", "bob", "nab", "annabella", "ab", "bobo", "abbabaabbaab"]
    tokenizer = Tokenizer(names)
    model = build(tokenizer.vocab_size, TINY, seed=5)
    replayed = ReplayedLoss(model)
    for name in names:
        for p in model.parameters():
            p.grad = 0.0
        loss = replayed.loss(tokenizer.encode(name))
        expected_loss, expected_grads = eager_grads(5, tokenizer, name)
        assert loss.data == pytest.approx(expected_loss, rel=1e-12), name
        grads = [p.grad for p in model.parameters()]
        assert grads == pytest.approx(expected_grads, rel=1e-9, abs=1e-15), name
    # positions: "bob" and "nab" share a recording (4), as do "anna" and "bobo" (5), and the
    # two long names, both cut at the context of 8
    assert sorted(replayed.recordings) == [3, 4, 5, 8]


def test_replayed_gradients_accumulate_like_backward() -> None:
    tokenizer = Tokenizer(["anna"])
    model = build(tokenizer.vocab_size, TINY, seed=2)
    replayed = ReplayedLoss(model)
    tokens = tokenizer.encode("anna")
    replayed.loss(tokens)
    once = [p.grad for p in model.parameters()]
    replayed.loss(tokens)
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once])


def test_training_replayed_follows_training_eagerly() -> None:
    names = ["anna", "bob", "clara", "dan"]
    eager = train(names, steps=8, config=TINY, lr=0.05, progress=False, replay=False)
    replayed = train(names, steps=8, config=TINY, lr=0.05, progress=False)
    assert replayed.losses == pytest.approx(eager.losses, rel=1e-9)


def test_the_script_can_train_eagerly(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--tiny", "--steps", "2", "--samples", "1", "--eager"])
    assert "every graph built afresh (--eager)" in capsys.readouterr().out
