"""`grpo-train`: GRPO from a YAML recipe, every reward from the service over HTTP.

    grpo-train --config recipes/smoke-cpu.yaml [--max_steps 20 ...]

Configuration follows TRL's convention (`TrlParser`): a YAML recipe sets the defaults of
`TrainScriptArguments` (trainer.config) + `GRPOConfig` + `ModelConfig`, command-line flags override
it, and an `env:` block sets environment variables (e.g. `REWARD_URL`). The recipe is checked
while it is parsed, before anything loads. At the end the model, tokenizer and
`trainer_state.json` (TRL's log history) are saved in `output_dir`.

The trainer process never runs a completion: every reward comes from the service. Before training
it checks `GET /healthz` and stops with a clear message if the service is not there, so a typo in
`REWARD_URL` fails in a second instead of training on `None` rewards.

Left out: multi-node launch (use `accelerate launch -m trainer.cli ...`), resuming, and pushing
to the Hub.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from trainer.client import RewardClient
from trainer.config import TrainScriptArguments
from trainer.model import import_unsloth_if_wanted
from trainer.rewards import RewardFunc, random_reward, reward_function

logger = logging.getLogger("trainer")


def build_reward_funcs(
    args: TrainScriptArguments, client: RewardClient, seed: int = 0
) -> list[RewardFunc]:
    funcs = [reward_function(args.reward_spec(name), client) for name in args.rewards]
    if args.random_reward:
        logger.warning("random_reward: a control run; every reward is a fair coin")
        funcs = [random_reward(func, seed) for func in funcs]
    return funcs


def wait_for_service(client: RewardClient, budget_s: float) -> None:
    deadline = time.monotonic() + budget_s
    while not asyncio.run(client.healthy()):
        if time.monotonic() > deadline:
            raise SystemExit(
                f"reward service not reachable at {client.config.url} (GET /healthz); start it "
                "with `python -m reward_service` or set REWARD_URL"
            )
        time.sleep(1.0)


def _wants_unsloth(argv: Sequence[str]) -> bool:
    """Peek at `--use_unsloth` / the recipe's `use_unsloth` before trl is imported."""
    args = list(argv)
    if "--use_unsloth" in args:
        i = args.index("--use_unsloth")
        value = args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else "true"
        return value.lower() in ("1", "true", "yes")
    if "--config" in args and args.index("--config") + 1 < len(args):
        import yaml

        with open(args[args.index("--config") + 1]) as handle:
            recipe = yaml.safe_load(handle) or {}
        return bool(recipe.get("use_unsloth", False))
    return False


def reward_summary(log_history: list[dict[str, Any]], window: int = 3) -> dict[str, float]:
    """Mean `reward` of the first and last `window` logged steps."""
    rewards = [float(e["reward"]) for e in log_history if "reward" in e]
    if not rewards:
        return {}
    first, last = rewards[:window], rewards[-window:]
    return {"first": sum(first) / len(first), "last": sum(last) / len(last)}


def parse_recipe(argv: Sequence[str]) -> tuple[TrainScriptArguments, Any, Any]:
    """`(script, GRPOConfig, ModelConfig)`, every check done; ConfigError says what to change."""
    trl: Any = importlib.import_module("trl")
    parser = trl.TrlParser((TrainScriptArguments, trl.GRPOConfig, trl.ModelConfig))
    script, config, model_args = parser.parse_args_and_config(list(argv))
    script.check_reward_weights(config.reward_weights)
    return script, config, model_args


def train_main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run `grpo-train`; returns a summary (steps, seconds, first/last mean reward)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    import_unsloth_if_wanted(_wants_unsloth(argv))
    trl: Any = importlib.import_module("trl")  # after unsloth, which patches it
    from trainer.model import load_policy, peft_config_from, quantization_from

    script, config, model_args = parse_recipe(argv)
    client = script.reward_client()
    wait_for_service(client, script.wait_for_service_s)
    model, tokenizer, peft_config = load_policy(
        model_args.model_name_or_path or "tiny",
        peft_config=peft_config_from(model_args),
        quantization_config=quantization_from(model_args),
        use_unsloth=script.use_unsloth,
        load_in_4bit=bool(getattr(model_args, "load_in_4bit", True)),
        max_seq_length=script.max_seq_length,
        dtype=getattr(model_args, "dtype", None) or getattr(model_args, "torch_dtype", None),
        seed=config.seed,
    )
    dataset = script.load_dataset(
        script.dataset_split, tokenizer=tokenizer, limit=script.dataset_limit, seed=config.seed
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=build_reward_funcs(script, client, config.seed),
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    start = time.monotonic()
    trainer.train()
    seconds = time.monotonic() - start
    trainer.save_model(config.output_dir)
    trainer.save_state()  # writes <output_dir>/trainer_state.json
    summary = {
        "steps": trainer.state.global_step,
        "seconds": round(seconds, 1),
        "reward": reward_summary(trainer.state.log_history),
        "output_dir": config.output_dir,
    }
    logger.info("done: %s", summary)
    return summary
