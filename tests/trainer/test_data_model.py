"""Datasets, prompt truncation, the tiny tokenizer/model, and config parsing (no service)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.trainer_servers import REPO

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("datasets")

from trainer.data import (
    MATH_SYSTEM_PROMPT,
    load_gsm8k,
    load_humaneval,
    load_mbpp_jsonl,
    load_named,
    make_prompt,
    toy_plus_zero,
)
from trainer.model import build_tiny_model, build_tiny_tokenizer, load_policy

GSM8K_DIR = REPO.parent / "shared" / "data" / "gsm8k"


def test_tiny_tokenizer_round_trips_and_keeps_markers_whole() -> None:
    tokenizer = build_tiny_tokenizer()
    text = "<think>2+2</think> #### 4"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens == ["<think>", "2", "+", "2", "</think>", " ", "####", " ", "4"]
    assert tokenizer.decode(tokenizer("é", add_special_tokens=False)["input_ids"]) == "<unk>"


def test_tiny_model_generates_and_stops() -> None:
    import torch

    tokenizer = build_tiny_tokenizer("digits")
    model = build_tiny_model(tokenizer)
    batch = tokenizer(["7+0=", "12+0="], return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape[0] == 2 and batch["input_ids"].shape[1] < out.shape[1] <= 5 + 3
    assert sum(p.numel() for p in model.parameters()) < 500_000


@pytest.mark.skipif(not (GSM8K_DIR / "test.jsonl").exists(), reason="GSM8K jsonl not present")
def test_gsm8k_from_local_jsonl_keeps_gold_and_truncates_prompts() -> None:
    tokenizer = build_tiny_tokenizer()
    rows = load_gsm8k("test", path=GSM8K_DIR, tokenizer=tokenizer, max_prompt_tokens=120, limit=5)
    assert len(rows) == 5 and rows[0]["answer"].rsplit("####", 1)[1].strip().isdigit()
    for row in rows:
        assert row["prompt"][0] == {"role": "system", "content": MATH_SYSTEM_PROMPT}
        ids = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True)
        ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
        assert len(ids) <= 120
    assert len(load_named("gsm8k", "test", path=str(GSM8K_DIR), limit=3)) == 3


def test_plain_prompt_truncation_cuts_the_question_not_the_instructions() -> None:
    tokenizer = build_tiny_tokenizer()
    prompt = make_prompt(
        "SYSTEM", "x" * 500, conversational=False, tokenizer=tokenizer, max_prompt_tokens=50
    )
    assert isinstance(prompt, str) and prompt.startswith("SYSTEM\n\n")
    assert len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) <= 50


def test_code_datasets(tmp_path: Path) -> None:
    humaneval = load_humaneval(limit=2)
    assert set(humaneval.column_names) >= {"prompt", "test", "entry_point"}
    mbpp = tmp_path / "mbpp.jsonl"
    row = {
        "text": "Add two numbers.",
        "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"],
    }
    mbpp.write_text(json.dumps(row) + "\n")
    rows = load_mbpp_jsonl(mbpp)
    assert rows[0]["tests"] == row["test_list"]
    assert "assert add(1, 2) == 3" in rows[0]["prompt"][-1]["content"]


def test_toy_task_and_unknown_names() -> None:
    rows = toy_plus_zero(20)
    assert all(r["prompt"] == f"{r['answer']}+0=" for r in rows)
    with pytest.raises(ValueError, match="unknown dataset_name"):
        load_named("nope")
    _, tokenizer, peft = load_policy("tiny:digits")
    assert peft is None and len(tokenizer) == 3 + 3 + 13


def test_recipes_parse_with_trl() -> None:
    trl = pytest.importorskip("trl")
    from trainer.config import TrainScriptArguments

    for name in ("smoke-cpu", "learn-cpu", "word-problems-smollm2-cpu", "gsm8k-qwen2.5-7b-unsloth"):
        recipe = str(REPO / "recipes" / f"{name}.yaml")
        parser = trl.TrlParser((TrainScriptArguments, trl.GRPOConfig, trl.ModelConfig))
        # --bf16 false: the GPU recipe's bf16 is refused on a CPU-only machine at parse time.
        args = ["--config", recipe, "--bf16", "false"]
        script, config, model = parser.parse_args_and_config(args)
        assert (
            config.per_device_train_batch_size
            * config.gradient_accumulation_steps
            % (config.num_generations)
            == 0
        )
        assert len(config.reward_weights or script.rewards) == len(script.rewards)
    assert (model.lora_r, model.lora_alpha, config.beta, script.use_unsloth) == (
        64,
        128,
        0.04,
        True,
    )
    assert (config.optim, config.max_completion_length, config.learning_rate) == (
        "paged_adamw_8bit", 1024, 5e-6,
    )  # fmt: skip
