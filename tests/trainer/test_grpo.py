"""Real GRPO runs on CPU (tiny model built in code) with every reward coming from the real
reward service over HTTP: the smoke recipe, a run that learns, `grpo-eval`, and an outage."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.trainer_servers import REPO, free_port, items_seen

pytest.importorskip("torch")
trl = pytest.importorskip("trl")

# TRL >= 1.0 passes `log_metric` to reward functions; older TRL (unsloth's pin) does not.
LOGS_METRICS = hasattr(trl.GRPOTrainer, "_log_metric")

pytestmark = [pytest.mark.train, pytest.mark.slow]

GSM8K_DIR = REPO.parent / "shared" / "data" / "gsm8k"


def log_history(output_dir: Path) -> list[dict[str, Any]]:
    state = json.loads((output_dir / "trainer_state.json").read_text())
    return state["log_history"]  # type: ignore[no-any-return]


@pytest.mark.skipif(not (GSM8K_DIR / "train.jsonl").exists(), reason="GSM8K jsonl not present")
def test_smoke_recipe_runs_grpo_steps_with_rewards_over_http(
    service_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.train import train_main

    monkeypatch.setenv("REWARD_URL", service_url)
    math_before, format_before = items_seen(service_url, "math"), items_seen(service_url, "format")
    out = tmp_path / "smoke"
    summary = train_main(
        [
            *("--config", str(REPO / "recipes/smoke-cpu.yaml"), "--output_dir", str(out)),
            *("--dataset_path", str(GSM8K_DIR), "--max_steps", "3"),
        ]
    )
    assert summary["steps"] == 3
    history = log_history(out)
    steps = [e for e in history if "rewards/math_reward/mean" in e]
    assert len(steps) == 3
    if LOGS_METRICS:
        assert all(e["math_reward/frac_unscored"] == 0.0 for e in steps)
    assert all("rewards/format_reward/mean" in e for e in steps)
    # 3 steps x 16 completions, each scored by both endpoints of the live service.
    assert items_seen(service_url, "math") - math_before == 48
    assert items_seen(service_url, "format") - format_before == 48
    assert (out / "model.safetensors").exists()


@pytest.fixture(scope="module")
def learned_run(service_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    from trainer.train import train_main

    out = tmp_path_factory.mktemp("learn") / "run"
    before = items_seen(service_url, "math")
    summary = train_main(
        [
            *("--config", str(REPO / "recipes/learn-cpu.yaml"), "--output_dir", str(out)),
            *("--reward_url", service_url),
        ]
    )
    summary["items_seen"] = items_seen(service_url, "math") - before
    return out, summary


def test_run_learns_and_trainer_state_shows_it(learned_run: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, summary = learned_run
    history = log_history(out)
    logged = [e for e in history if "reward" in e]
    rewards = [e["reward"] for e in logged]
    first, last = sum(rewards[:3]) / 3, sum(rewards[-3:]) / 3
    print(
        f"learning run: {summary['steps']} steps, {summary['seconds']} s, {first:.3f} -> {last:.3f}"
    )
    assert last >= 2 * first and last >= 0.5, rewards
    if LOGS_METRICS:
        correct = [e["math_reward/frac_correct"] for e in logged]
        assert correct[-1] > correct[0] + 0.3
    assert summary["items_seen"] == summary["steps"] * 64  # every reward came from the service


def test_grpo_eval_reports_base_vs_trained(
    learned_run: tuple[Path, dict],  # type: ignore[type-arg]
    service_url: str,
) -> None:
    from trainer.evaluate import main

    out, _ = learned_run
    report = main(
        [
            *("--config", str(REPO / "recipes/learn-cpu.yaml"), "--adapter", str(out)),
            *("--reward_url", service_url, "--eval_limit", "100"),
        ]
    )
    saved = json.loads((out / "eval.json").read_text())
    assert saved["models"]["trained"]["accuracy"] >= saved["models"]["base"]["accuracy"] + 0.5
    assert saved["n"] == 100
    assert Path(report["chart_path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_random_reward_control_gets_coin_flips_while_the_service_logs_the_truth(
    service_url: str, tmp_path: Path
) -> None:
    from trainer.train import train_main

    out = tmp_path / "control"
    before = items_seen(service_url, "math")
    summary = train_main(
        [
            *("--config", str(REPO / "recipes/learn-cpu.yaml"), "--output_dir", str(out)),
            *("--reward_url", service_url, "--max_steps", "30", "--random_reward", "true"),
        ]
    )
    assert items_seen(service_url, "math") - before == 30 * 64  # the service still grades all
    logged = [e for e in log_history(out) if "reward" in e]
    rewards = [e["reward"] for e in logged]
    assert all(0.25 <= r <= 0.75 for r in rewards), rewards  # means of 64 fair coins
    assert len(set(rewards)) > 1  # drawn, not a constant
    if LOGS_METRICS:  # what the policy really got right: nowhere near the coins' 50%
        assert max(e["math_reward/frac_correct"] for e in logged) < 0.4
    assert summary["steps"] == 30


def test_grpo_eval_reads_several_seeds_and_a_control(
    learned_run: tuple[Path, dict],  # type: ignore[type-arg]
    service_url: str,
    tmp_path: Path,
) -> None:
    from trainer.evaluate import main

    out, _ = learned_run
    report_path = tmp_path / "eval.json"
    main(
        [
            *("--config", str(REPO / "recipes/learn-cpu.yaml"), "--reward_url", service_url),
            *("--adapter", str(out), str(out), "--control", str(out), "--eval_limit", "40"),
            *("--report", str(report_path)),
        ]
    )
    saved = json.loads(report_path.read_text())
    names = {"base", "control", f"trained:{out.name}#1", f"trained:{out.name}#2"}
    assert set(saved["models"]) == names  # a name twice is told apart, not overwritten
    accuracy = saved["trained_summary"]["accuracy"]
    assert accuracy["runs"] == 2 and accuracy["sd"] == 0.0  # greedy: the same model, same answers
    assert accuracy["mean"] == saved["models"]["control"]["accuracy"] >= 0.5
    assert "accuracy_last_number" in saved["models"]["base"]
    assert saved["curves"]["control"] and report_path.with_suffix(".png").exists()


def test_training_survives_an_unreachable_service(tmp_path: Path) -> None:
    from trl import GRPOConfig, GRPOTrainer

    from trainer.client import ClientConfig, RewardClient
    from trainer.data import toy_plus_zero
    from trainer.model import load_policy
    from trainer.rewards import remote_math_reward

    model, tokenizer, _ = load_policy("tiny:digits")
    dead = RewardClient(ClientConfig(url=f"http://127.0.0.1:{free_port()}", max_retries=1))
    config = GRPOConfig(
        output_dir=str(tmp_path), use_cpu=True, bf16=False, max_steps=2, num_generations=4,
        per_device_train_batch_size=8, max_completion_length=2, logging_steps=1,
        report_to=[], save_strategy="no", disable_tqdm=True,
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[remote_math_reward(dead, extract="flexible")],
        args=config,
        train_dataset=toy_plus_zero(32),
        processing_class=tokenizer,
    )
    trainer.train()  # no exception: rewards are None (NaN), advantages 0
    steps = [e for e in trainer.state.log_history if "rewards/math_reward/mean" in e]
    assert len(steps) == 2
    if LOGS_METRICS:
        assert all(e["math_reward/frac_unscored"] == 1.0 for e in steps)
    means = [e["rewards/math_reward/mean"] for e in steps]
    assert all(m is None or math.isnan(m) for m in means)  # no score, not a zero score


def test_sync_and_async_reward_functions_mix_in_one_trainer(
    service_url: str, tmp_path: Path
) -> None:
    """The sync wrapper is what TRL < 0.27 (unsloth's pin) gets; both kinds score over HTTP."""
    from trl import GRPOConfig, GRPOTrainer

    from trainer.client import ClientConfig, RewardClient
    from trainer.data import toy_plus_zero
    from trainer.model import load_policy
    from trainer.rewards import remote_format_reward, remote_math_reward

    client = RewardClient(ClientConfig(url=service_url))
    before = items_seen(service_url, "math"), items_seen(service_url, "format")
    model, tokenizer, _ = load_policy("tiny:digits")
    config = GRPOConfig(
        output_dir=str(tmp_path), use_cpu=True, bf16=False, max_steps=2, num_generations=4,
        per_device_train_batch_size=8, max_completion_length=2, logging_steps=1,
        report_to=[], save_strategy="no", disable_tqdm=True,
    )  # fmt: skip
    funcs = [
        remote_math_reward(client, extract="flexible"),  # async where TRL awaits it (>= 0.27)
        remote_format_reward(client, mode="sync"),
    ]
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=funcs,
        args=config,
        train_dataset=toy_plus_zero(32),
        processing_class=tokenizer,
    )
    trainer.train()
    logged = [e for e in trainer.state.log_history if "rewards/format_reward/mean" in e]
    assert len(logged) == 2 and all("rewards/math_reward/mean" in e for e in logged)
    assert items_seen(service_url, "math") - before[0] == 16
    assert items_seen(service_url, "format") - before[1] == 16


def test_lora_path_from_a_local_model_dir_trains_and_evaluates(
    service_url: str, tmp_path: Path
) -> None:
    """The path real models take (transformers + peft LoRA, adapter saved, grpo-eval on top)."""
    from trainer.evaluate import main as eval_main
    from trainer.model import build_tiny_model, build_tiny_tokenizer
    from trainer.train import train_main

    base = tmp_path / "base"
    tokenizer = build_tiny_tokenizer("digits")
    build_tiny_model(tokenizer).save_pretrained(base)
    tokenizer.save_pretrained(base)
    out = tmp_path / "lora"
    recipe = str(REPO / "recipes/learn-cpu.yaml")
    common = ["--model_name_or_path", str(base), "--reward_url", service_url]
    summary = train_main(
        [
            *("--config", recipe, "--output_dir", str(out), *common, "--max_steps", "3"),
            *("--use_peft", "true", "--lora_r", "4", "--lora_alpha", "8"),
            *("--lora_target_modules", "q_proj", "v_proj"),
        ]
    )
    assert summary["steps"] == 3
    assert (out / "adapter_config.json").exists() and (out / "trainer_state.json").exists()
    report = eval_main(["--config", recipe, "--adapter", str(out), *common, "--eval_limit", "20"])
    assert set(report["models"]) == {"base", "trained"} and report["n"] == 20
