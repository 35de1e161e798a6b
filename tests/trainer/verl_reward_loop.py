"""Runs in verl's own virtual environment (its pins conflict with ours): verl's reward loop
worker, configured with the README's keys, scores samples through `trainer.verl_reward`.

    python tests/trainer/verl_reward_loop.py SERVICE_URL SAMPLES_JSON [KEY=VALUE ...]

SAMPLES_JSON holds `[{"data_source", "prompt", "response", "ground_truth"}, ...]`; extra
arguments become `+reward.custom_reward_function.reward_kwargs.KEY=VALUE`. Prints one JSON
line: verl's outputs (`reward_score`, `reward_extra_info`) in order. verl is imported inside
`main` only, so collecting this module elsewhere imports nothing of verl.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def verl_batch(samples: list[dict[str, Any]], tokenizer: Any) -> Any:
    """A DataProto as verl's rollout leaves it: left-padded prompts, right-padded responses."""
    import numpy as np
    import torch
    from verl import DataProto

    def encode(text: str) -> list[int]:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    prompts = [encode(s["prompt"]) for s in samples]
    responses = [[*encode(s["response"]), tokenizer.eos_token_id] for s in samples]
    p_len, r_len = max(map(len, prompts)), max(map(len, responses))
    pad = tokenizer.pad_token_id
    prompt_ids = torch.tensor([[pad] * (p_len - len(p)) + p for p in prompts])
    response_ids = torch.tensor([r + [pad] * (r_len - len(r)) for r in responses])
    mask = torch.tensor(
        [
            [0] * (p_len - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (r_len - len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]
    )
    return DataProto.from_dict(
        tensors={
            "prompts": prompt_ids,
            "responses": response_ids,
            "input_ids": torch.cat([prompt_ids, response_ids], dim=1),
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array([s["data_source"] for s in samples], dtype=object),
            "reward_model": np.array(
                [{"ground_truth": s["ground_truth"], "style": "rule"} for s in samples],
                dtype=object,
            ),
            "extra_info": np.array([{"index": i} for i in range(len(samples))], dtype=object),
        },
    )


def main() -> None:
    url, samples_path, *kwargs = sys.argv[1:]
    import verl
    from hydra import compose, initialize_config_dir
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    from trainer.model import build_tiny_tokenizer

    samples = json.loads(Path(samples_path).read_text())
    with tempfile.TemporaryDirectory() as model_dir:
        build_tiny_tokenizer().save_pretrained(model_dir)  # what verl loads for decoding
        config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
        with initialize_config_dir(config_dir=config_dir, version_base=None):
            config = compose(
                "ppo_trainer",
                overrides=[
                    "reward.custom_reward_function.path=pkg://trainer.verl_reward",
                    "reward.custom_reward_function.name=compute_score",
                    f"+reward.custom_reward_function.reward_kwargs.url={url}",
                    *(f"+reward.custom_reward_function.reward_kwargs.{kv}" for kv in kwargs),
                    f"actor_rollout_ref.model.path={model_dir}",
                ],
            )
        worker = RewardLoopWorker(config)
        data = verl_batch(samples, worker.input_tokenizer)
        outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    print(json.dumps(outputs, default=str))


if __name__ == "__main__":
    main()
