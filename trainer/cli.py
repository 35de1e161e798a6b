"""`grpo-train` and `grpo-eval`: GRPO from a YAML recipe, rewards from the service over HTTP.

    grpo-train --config recipes/smoke-cpu.yaml [--max_steps 20 ...]
    grpo-eval --config recipes/smoke-cpu.yaml --adapter runs/smoke-cpu --output runs/eval.json

Configuration follows TRL's convention (`TrlParser`): a YAML recipe sets the defaults of
`TrainScriptArguments` + `GRPOConfig` + `ModelConfig`, command-line flags override it, and an
`env:` block sets environment variables (e.g. `REWARD_URL`). At the end of training the model,
tokenizer and `trainer_state.json` (TRL's log history) are saved in `output_dir`.

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
from dataclasses import dataclass, field
from typing import Any

from trainer.client import ClientConfig, RewardClient
from trainer.model import import_unsloth_if_wanted

logger = logging.getLogger("trainer")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class TrainScriptArguments:
    """Our part of a recipe; the rest is TRL's `GRPOConfig` and `ModelConfig`."""

    dataset_name: str = field(
        default="gsm8k",
        metadata={"help": "`gsm8k` (Hub `openai/gsm8k`), `humaneval`, `mbpp` or `toy-plus-zero`."},
    )
    dataset_path: str | None = field(
        default=None, metadata={"help": "Local jsonl file or directory of `<split>.jsonl`."}
    )
    dataset_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_limit: int | None = field(default=None, metadata={"help": "Use the first N rows."})
    max_prompt_tokens: int | None = field(
        default=512, metadata={"help": "Prompts are cut to this many tokens when built."}
    )
    conversational: bool = field(
        default=True, metadata={"help": "Chat-message prompts (False: plain text)."}
    )
    rewards: list[str] = field(
        default_factory=lambda: ["math", "format"],
        metadata={"help": "Reward functions, in `reward_weights` order: math, format, code."},
    )
    reward_url: str | None = field(
        default=None, metadata={"help": "Reward service URL; default `REWARD_URL` env."}
    )
    reward_timeout_s: float = field(default=120.0, metadata={"help": "Read timeout per request."})
    reward_max_retries: int = field(default=4, metadata={"help": "Retries per request chunk."})
    reward_chunk_size: int = field(default=256, metadata={"help": "Items per request."})
    wait_for_service_s: float = field(
        default=30.0, metadata={"help": "How long to wait for `/healthz` before giving up."}
    )
    math_extract: str = field(default="gsm8k", metadata={"help": "gsm8k, flexible or latex."})
    math_correct: float = 1.0
    math_wrong: float = -0.5
    math_missing: float = -1.0
    format_style: str = field(default="think", metadata={"help": "think or r1."})
    format_ok: float = 0.2
    code_timeout_s: float = 5.0
    code_memory_mb: int = 256
    use_unsloth: bool = field(
        default=False, metadata={"help": "unsloth 4-bit + LoRA (only with CUDA and unsloth)."}
    )
    max_seq_length: int = field(default=2048, metadata={"help": "unsloth's context length."})


def reward_client(args: TrainScriptArguments) -> RewardClient:
    return RewardClient(
        ClientConfig.from_env(
            url=args.reward_url,
            read_timeout_s=args.reward_timeout_s,
            max_retries=args.reward_max_retries,
            chunk_size=args.reward_chunk_size,
        )
    )


def build_reward_funcs(args: TrainScriptArguments, client: RewardClient) -> list[Any]:
    from trainer.rewards import remote_code_reward, remote_format_reward, remote_math_reward

    funcs: list[Any] = []
    for name in args.rewards:
        if name == "math":
            funcs.append(
                remote_math_reward(
                    client,
                    extract=args.math_extract,  # type: ignore[arg-type]
                    correct=args.math_correct,
                    wrong=args.math_wrong,
                    missing=args.math_missing,
                )
            )
        elif name == "format":
            funcs.append(remote_format_reward(client, style=args.format_style, ok=args.format_ok))  # type: ignore[arg-type]
        elif name == "code":
            funcs.append(
                remote_code_reward(
                    client, timeout_s=args.code_timeout_s, memory_mb=args.code_memory_mb
                )
            )
        else:
            raise SystemExit(f"unknown reward {name!r}: use math, format or code")
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


def train_main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run `grpo-train`; returns a summary (steps, seconds, first/last mean reward)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    import_unsloth_if_wanted(_wants_unsloth(argv))
    trl: Any = importlib.import_module("trl")  # after unsloth, which patches it
    from trainer.data import load_named
    from trainer.model import load_policy

    parser = trl.TrlParser((TrainScriptArguments, trl.GRPOConfig, trl.ModelConfig))
    script, config, model_args = parser.parse_args_and_config(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    client = reward_client(script)
    wait_for_service(client, script.wait_for_service_s)
    model, tokenizer, peft_config = load_policy(
        model_args.model_name_or_path or "tiny",
        use_peft=model_args.use_peft,
        lora_r=model_args.lora_r,
        lora_alpha=model_args.lora_alpha,
        lora_dropout=model_args.lora_dropout,
        lora_target_modules=model_args.lora_target_modules,
        use_unsloth=script.use_unsloth,
        load_in_4bit=getattr(model_args, "load_in_4bit", True),
        max_seq_length=script.max_seq_length,
        dtype=getattr(model_args, "dtype", None) or getattr(model_args, "torch_dtype", None),
        seed=config.seed,
    )
    dataset = load_named(
        script.dataset_name,
        script.dataset_split,
        path=script.dataset_path,
        tokenizer=tokenizer,
        max_prompt_tokens=script.max_prompt_tokens,
        conversational=script.conversational,
        limit=script.dataset_limit,
        seed=config.seed,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=build_reward_funcs(script, client),
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


def train() -> None:
    """Console entry point `grpo-train`."""
    summary = train_main()
    reward = summary["reward"]
    print(
        f"grpo-train: {summary['steps']} steps in {summary['seconds']} s; mean reward "
        f"{reward.get('first', float('nan')):.3f} (first steps) -> "
        f"{reward.get('last', float('nan')):.3f} (last steps); saved to {summary['output_dir']}"
    )


def evaluate() -> None:
    """Console entry point `grpo-eval` (see `trainer.evaluate`)."""
    from trainer.evaluate import main

    main()


if __name__ == "__main__":
    train()
