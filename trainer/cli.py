"""Console entry points: `grpo-train` (trainer.train) and `grpo-eval` (trainer.evaluate).

Each sets up logging and turns a recipe error into a one-line message instead of a traceback.
"""

from __future__ import annotations

import logging

from trainer.config import LOG_FORMAT, ConfigError


def train() -> None:
    """Console entry point `grpo-train`."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    from trainer.train import train_main

    try:
        summary = train_main()
    except ConfigError as exc:
        raise SystemExit(f"grpo-train: {exc}") from None
    reward = summary["reward"]
    print(
        f"grpo-train: {summary['steps']} steps in {summary['seconds']} s; mean reward "
        f"{reward.get('first', float('nan')):.3f} (first steps) -> "
        f"{reward.get('last', float('nan')):.3f} (last steps); saved to {summary['output_dir']}"
    )


def evaluate() -> None:
    """Console entry point `grpo-eval`."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    from trainer.evaluate import main

    try:
        main()
    except ConfigError as exc:
        raise SystemExit(f"grpo-eval: {exc}") from None


if __name__ == "__main__":
    train()
