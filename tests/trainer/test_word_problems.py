"""Template word problems: GSM8K-shaped rows whose worked solutions are right, a held-out split
that never meets training, and gold answers the live service grades correct."""

from __future__ import annotations

import re

import httpx
import pytest

from trainer.word_problems import LEVELS, TEMPLATES, generate, in_test_split

STEP = re.compile(r"<<(\d+)([-+*/])(\d+)=(\d+)>>")


@pytest.mark.parametrize("level", LEVELS)
def test_every_worked_step_and_final_answer_is_right(level: str) -> None:
    for row in generate("train", 300, level=level, seed=1):  # type: ignore[arg-type]
        steps = STEP.findall(row["answer"])
        assert steps, row
        for a, op, b, result in steps:
            exact = {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}
            assert (exact[op] if op != "/" else int(a) / int(b)) == int(result), row
        final = row["answer"].rsplit("####", 1)[1].strip()
        assert final == steps[-1][3] and int(final) >= 0
        numbers_in_question = re.findall(r"\d+", row["question"])
        assert all(n in row["question"] for n in numbers_in_question)


def test_splits_are_fixed_disjoint_and_seeded() -> None:
    test = generate("test", 400, level="one-step")
    assert test == generate("test", 400, level="one-step", seed=7)  # the seed never moves it
    assert all(in_test_split(r["question"]) for r in test)
    train_a = generate("train", 400, level="one-step", seed=0)
    train_b = generate("train", 400, level="one-step", seed=1)
    assert train_a != train_b and train_a == generate("train", 400, level="one-step", seed=0)
    held_out = {r["question"] for r in test}
    assert held_out.isdisjoint(r["question"] for r in train_a + train_b)
    assert len({r["question"] for r in train_a}) == 400  # no repeats within a split
    used = {STEP.search(r["answer"])[2] for r in train_a}  # type: ignore[index]
    assert used == {"+", "-", "*", "/"}  # every one-step template is drawn
    assert len(TEMPLATES["two-step"]) >= 3


def test_bad_requests_are_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        generate("train", 3, level="three-step")  # type: ignore[arg-type]
    for n in (0, 10**6):
        with pytest.raises(ValueError, match="ask for 1 to"):
            generate("test", n, level="one-step")


@pytest.mark.parametrize("dataset", ["word-problems", "word-problems-two-step"])
def test_gold_solutions_grade_correct_on_the_live_service(service_url: str, dataset: str) -> None:
    pytest.importorskip("datasets")
    from trainer.data import load_named

    rows = list(load_named(dataset, "test", limit=50, conversational=False))
    assert "Example:" in rows[0]["prompt"] and rows[0]["question"] in rows[0]["prompt"]
    items = [{"completion": r["answer"], "answer": r["answer"]} for r in rows]
    wrong = [{"completion": r["answer"] + "1", "answer": r["answer"]} for r in rows]
    for batch, status in ((items, "correct"), (wrong, "wrong")):
        reply = httpx.post(
            f"{service_url}/math", json={"items": batch, "extract": "gsm8k"}, timeout=30
        )
        reply.raise_for_status()
        assert {r["status"] for r in reply.json()["results"]} == {status}
