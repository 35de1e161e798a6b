"""The trainer's configuration, TRL style: dataclasses for `TrlParser`, every field documented
where it is declared, and cross-field checks in `__post_init__` that run while the recipe is
parsed, before any model or dataset loads (a typo in a recipe fails in a second, not after
loading a 7B model).

`RewardDataArguments` is shared by `grpo-train` (`TrainScriptArguments`, beside TRL's
`GRPOConfig` and `ModelConfig`) and `grpo-eval` (`EvalArguments`); `reward_specs()` turns it into
the requests both send.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from reward_service.rewards.format import FORMAT_REWARDS, FormatStyle
from reward_service.rewards.math import MATH_REWARDS, ExtractMode
from trainer.client import ClientConfig, RewardClient
from trainer.data import DATASET_NAMES, is_code_dataset, load_named
from trainer.reward_specs import RewardSpec, code_spec, format_spec, math_spec

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RewardName = Literal["math", "format", "code"]
REWARD_NAMES: tuple[str, ...] = typing.get_args(RewardName)


class ConfigError(ValueError):
    """A recipe or flag that cannot work; the message says what to change."""


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class RewardDataArguments:
    """Where the data comes from and how the service rewards it (train and eval alike)."""

    dataset_name: str = field(
        default="gsm8k",
        metadata=_help(f"One of {', '.join(DATASET_NAMES)} (gsm8k: Hub `openai/gsm8k`)."),
    )
    dataset_path: str | None = field(
        default=None, metadata=_help("Local jsonl file or directory of `<split>.jsonl`.")
    )
    max_prompt_tokens: int | None = field(
        default=512,
        metadata=_help("Prompts are cut to this many tokens when built (None: no cut)."),
    )
    conversational: bool = field(
        default=True, metadata=_help("Chat-message prompts (False: plain text).")
    )
    reward_url: str | None = field(
        default=None, metadata=_help("Reward service URL; default the `REWARD_URL` env.")
    )
    reward_timeout_s: float = field(
        default=120.0, metadata=_help("Read timeout per request to the service, in seconds.")
    )
    reward_max_retries: int = field(
        default=4, metadata=_help("Retries per request chunk (429, 5xx, connection errors).")
    )
    reward_chunk_size: int = field(default=256, metadata=_help("Items per request."))
    math_extract: ExtractMode = field(
        default="gsm8k", metadata=_help("How /math finds the answer: gsm8k, flexible or latex.")
    )
    math_correct: float = field(
        default=MATH_REWARDS.correct, metadata=_help("Reward for a correct answer.")
    )
    math_wrong: float = field(
        default=MATH_REWARDS.wrong, metadata=_help("Reward for a wrong answer.")
    )
    math_missing: float = field(
        default=MATH_REWARDS.missing, metadata=_help("Reward when no answer is found.")
    )
    format_style: FormatStyle = field(
        default="think", metadata=_help("The template /format checks: think or r1.")
    )
    format_ok: float = field(
        default=FORMAT_REWARDS.ok, metadata=_help("Reward for following the template.")
    )
    format_missing: float = field(
        default=FORMAT_REWARDS.missing, metadata=_help("Reward for not following it.")
    )
    code_timeout_s: float | None = field(
        default=None, metadata=_help("Per-test time limit for /code (None: the service's).")
    )
    code_memory_mb: int | None = field(
        default=None, metadata=_help("Memory per program for /code (None: the service's).")
    )
    code_stop_on_first_failure: bool = field(
        default=False,
        metadata=_help(
            "/code stops at a sample's first failing test (the rest count as not passed): "
            "with a binary reward nothing is lost, and failing samples cost far less."
        ),
    )
    code_deadline_s: float | None = field(
        default=None,
        metadata=_help("Wall-clock budget for all of a sample's tests on /code (None: none)."),
    )

    def __post_init__(self) -> None:
        _check_choices(self)
        if self.dataset_name.lower() not in DATASET_NAMES:
            raise ConfigError(
                f"unknown dataset_name {self.dataset_name!r}: use one of {', '.join(DATASET_NAMES)}"
            )
        for name in ("reward_timeout_s", "reward_chunk_size"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.reward_max_retries < 0:
            raise ConfigError("reward_max_retries must be >= 0 (0: one attempt)")

    def load_dataset(self, split: str, *, tokenizer: Any, limit: int | None, seed: int) -> Any:
        """The named dataset's `split`, with prompts built as these options say."""
        return load_named(
            self.dataset_name,
            split,
            path=self.dataset_path,
            tokenizer=tokenizer,
            max_prompt_tokens=self.max_prompt_tokens,
            conversational=self.conversational,
            limit=limit,
            seed=seed,
        )

    def reward_client(self) -> RewardClient:
        return RewardClient(
            ClientConfig.from_env(
                url=self.reward_url,
                read_timeout_s=self.reward_timeout_s,
                max_retries=self.reward_max_retries,
                chunk_size=self.reward_chunk_size,
            )
        )

    def reward_spec(self, name: str) -> RewardSpec:
        """The request the reward `name` (math, format or code) sends for these options."""
        if name == "math":
            return math_spec(
                extract=self.math_extract,
                correct=self.math_correct,
                wrong=self.math_wrong,
                missing=self.math_missing,
            )
        if name == "format":
            return format_spec(
                style=self.format_style, ok=self.format_ok, missing=self.format_missing
            )
        if name == "code":
            return code_spec(
                timeout_s=self.code_timeout_s,
                memory_mb=self.code_memory_mb,
                stop_on_first_failure=self.code_stop_on_first_failure or None,
                deadline_s=self.code_deadline_s,
            )
        raise ConfigError(f"unknown reward {name!r}: use {', '.join(REWARD_NAMES)}")


@dataclass
class TrainScriptArguments(RewardDataArguments):
    """`grpo-train`'s part of a recipe; the rest is TRL's `GRPOConfig` and `ModelConfig`."""

    dataset_split: str = field(default="train", metadata=_help("Split to train on."))
    dataset_limit: int | None = field(default=None, metadata=_help("Use the first N rows."))
    rewards: list[str] = field(
        default_factory=lambda: ["math", "format"],
        metadata=_help(f"Reward functions, in `reward_weights` order: {', '.join(REWARD_NAMES)}."),
    )
    random_reward: bool = field(
        default=False,
        metadata=_help(
            "Control run: every reward is a fair coin (0 or 1) drawn from the seed; the service "
            "is still asked, so its status fractions log what the policy really got right."
        ),
    )
    wait_for_service_s: float = field(
        default=30.0,
        metadata=_help("How long to wait for the service's /healthz before giving up."),
    )
    use_unsloth: bool = field(
        default=False, metadata=_help("unsloth 4-bit + LoRA (only with CUDA and unsloth).")
    )
    max_seq_length: int = field(default=2048, metadata=_help("unsloth's context length."))

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = [name for name in self.rewards if name not in REWARD_NAMES]
        if unknown or not self.rewards:
            raise ConfigError(
                f"rewards {self.rewards!r}: name one or more of {', '.join(REWARD_NAMES)}"
            )
        if len(set(self.rewards)) != len(self.rewards):
            raise ConfigError(f"rewards {self.rewards!r} names one twice (TRL logs by name)")

    def check_reward_weights(self, reward_weights: Sequence[float] | None) -> None:
        """GRPOConfig's `reward_weights` must have one weight per reward."""
        if reward_weights is not None and len(reward_weights) != len(self.rewards):
            raise ConfigError(
                f"reward_weights has {len(reward_weights)} entries but rewards has "
                f"{len(self.rewards)} ({', '.join(self.rewards)}): give one weight per reward"
            )


@dataclass
class EvalArguments(RewardDataArguments):
    """`grpo-eval`: base model against trained model, greedy, graded by the service."""

    model_name_or_path: str = field(default="tiny", metadata=_help("Base model (or `tiny`)."))
    adapter: list[str] | None = field(
        default=None,
        metadata=_help(
            "Trained LoRA adapter(s) or full model dir(s), e.g. one per seed (default output_dir)."
        ),
    )
    control: str | None = field(
        default=None,
        metadata=_help("A control run's model dir (e.g. trained with --random_reward true)."),
    )
    output_dir: str | None = field(
        default=None, metadata=_help("A recipe's output_dir: the default --adapter.")
    )
    eval_split: str = field(default="test", metadata=_help("Split to evaluate on."))
    eval_limit: int | None = field(default=200, metadata=_help("First N items of the split."))
    max_completion_length: int = field(default=512, metadata=_help("New tokens per answer."))
    batch_size: int = field(default=16, metadata=_help("Prompts generated at once."))
    report: str | None = field(
        default=None, metadata=_help("JSON report path (default <first adapter>/eval.json).")
    )
    chart: str | None = field(
        default=None, metadata=_help("PNG chart path (default next to the report).")
    )
    seed: int = field(default=0, metadata=_help("Seed for the tiny model and the toy data."))

    def grading_spec(self) -> RewardSpec:
        """Code datasets are graded by /code, the others by /math."""
        return self.reward_spec("code" if is_code_dataset(self.dataset_name) else "math")


def _check_choices(args: Any) -> None:
    """Literal-typed fields hold one of their values (argparse checks flags, not recipe values)."""
    hints = typing.get_type_hints(type(args))
    for item in fields(args):
        choices = typing.get_args(hints[item.name]) if _is_literal(hints[item.name]) else ()
        value = getattr(args, item.name)
        if choices and value not in choices:
            raise ConfigError(f"{item.name}={value!r} is not one of {', '.join(map(str, choices))}")


def _is_literal(hint: Any) -> bool:
    return typing.get_origin(hint) is Literal
