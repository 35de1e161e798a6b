"""A real pretrained model learns through the live service: a few steps of
`recipes/word-problems-smollm2-cpu.yaml` (SmolLM2-135M-Instruct from its GGUF file, one-step
word problems, every reward from `/math` over HTTP), then `grpo-eval` on held-out problems.

The full run (16 steps, three seeds and a random-reward control, 200 held-out problems) is in
the README; this is its first 6 steps (4 prompts x 8 completions each), sized for CI. Fewer
prompts a step (2 x 8) were tried and are too noisy: one such run lost the answer format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.test_gguf import smollm2_file
from tests.trainer.trainer_servers import REPO, items_seen

pytest.importorskip("torch")
pytest.importorskip("trl")

pytestmark = [pytest.mark.train, pytest.mark.slow]
RECIPE = str(REPO / "recipes" / "word-problems-smollm2-cpu.yaml")
STEPS, COMPLETIONS_PER_STEP, HELD_OUT = 6, 32, 64


def test_a_few_steps_raise_format_and_reward_on_held_out_problems(
    service_url: str, tmp_path: Path
) -> None:
    from trainer.evaluate import main as eval_main
    from trainer.train import train_main

    smollm2_file()
    out = tmp_path / "wp"
    before = items_seen(service_url, "math")
    summary = train_main(
        [
            *("--config", RECIPE, "--output_dir", str(out), "--reward_url", service_url),
            *("--max_steps", str(STEPS), "--seed", "1"),
        ]
    )
    assert summary["steps"] == STEPS
    assert items_seen(service_url, "math") - before == STEPS * COMPLETIONS_PER_STEP
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert sum("math_reward/frac_missing" in e for e in history) == STEPS

    report = eval_main(
        [
            *("--config", RECIPE, "--adapter", str(out), "--reward_url", service_url),
            *("--eval_split", "test", "--eval_limit", str(HELD_OUT), "--batch_size", "32"),
        ]
    )
    base, trained = report["models"]["base"], report["models"]["trained"]
    print(
        f"SmolLM2 after {STEPS} steps ({summary['seconds']} s), {HELD_OUT} held-out problems: "
        f"format {base['format']:.2f} -> {trained['format']:.2f}, strict accuracy "
        f"{base['accuracy']:.2f} -> {trained['accuracy']:.2f}, mean reward "
        f"{base['mean_reward']:.3f} -> {trained['mean_reward']:.3f}"
    )
    assert trained["format"] >= base["format"] + 0.1
    assert trained["mean_reward"] > base["mean_reward"]
    assert Path(report["chart_path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
