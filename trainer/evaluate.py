"""`grpo-eval`: accuracy through the reward service, base model vs trained model, same harness.

    grpo-eval --config recipes/learn-cpu.yaml --adapter runs/learn-cpu
    grpo-eval --model_name_or_path Qwen/Qwen2.5-7B-Instruct \
        --adapter runs/gsm8k-qwen2.5-7b-unsloth --dataset_name gsm8k --eval_split test \
        --eval_limit 500 --max_completion_length 1024

Both models see the same prompts (built by `trainer.data`, as in training), decode greedily, and
are graded by the service (`/math` for math datasets, `/code` for code datasets). A recipe can be
passed with `--config`: keys this command does not know (GRPO settings) are ignored, and
`output_dir` is the default `--adapter`. Writes a JSON report and a PNG bar chart (by default
`<adapter>/eval.json` and `<adapter>/eval.png`).

`--adapter` is a LoRA adapter directory (has `adapter_config.json`; loaded on top of the base) or a
full saved model (the tiny model trains fully). Accuracy: math items graded `correct`; code items
whose tests all passed. Items the service could not score count as not correct and are reported
as `unscored`.

Left out: sampling-based metrics (pass@k), vLLM generation, and batching across devices.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trainer.client import RewardClient, run_sync
from trainer.config import EvalArguments

logger = logging.getLogger(__name__)


def generate(model: Any, tokenizer: Any, prompts: Sequence[Any], args: EvalArguments) -> list[str]:
    """Greedy completions, decoded without special tokens, in prompt order."""
    import torch

    tokenizer.padding_side = "left"
    model.eval()
    texts = [
        tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False)
        if not isinstance(p, str)
        else p
        for p in prompts
    ]
    chat = not isinstance(prompts[0], str) if prompts else False
    out: list[str] = []
    for start in range(0, len(texts), args.batch_size):
        batch = tokenizer(
            texts[start : start + args.batch_size],
            return_tensors="pt",
            padding=True,
            add_special_tokens=not chat,
        ).to(model.device)
        with torch.inference_mode():
            ids = model.generate(
                **batch,
                max_new_tokens=args.max_completion_length,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        new = ids[:, batch["input_ids"].shape[1] :]
        out.extend(tokenizer.batch_decode(new, skip_special_tokens=True))
    return out


def grade(
    client: RewardClient, rows: list[dict[str, Any]], completions: list[str], args: EvalArguments
) -> dict[str, Any]:
    """Grade completions on the service, with the same requests training sends; accuracy, mean
    reward and status counts."""
    spec = args.grading_spec()
    results = run_sync(spec.fetch(client, completions, rows))
    if spec.endpoint == "code":
        correct = [
            r is not None and r.get("total", 0) > 0 and r["passed"] == r["total"] for r in results
        ]
    else:
        correct = [r is not None and r.get("status") == "correct" for r in results]
    rewards = [r["reward"] for r in results if r is not None and r.get("reward") is not None]
    statuses = Counter("unscored" if r is None else str(r.get("status")) for r in results)
    return {
        "n": len(results),
        "accuracy": sum(correct) / len(results) if results else 0.0,
        "mean_reward": sum(rewards) / len(rewards) if rewards else None,
        "statuses": dict(statuses),
        "examples": [
            {"completion": c, "status": None if r is None else r.get("status")}
            for c, r in list(zip(completions, results, strict=True))[:5]
        ],
    }


def load_trained(adapter: str, base: Any, base_tokenizer: Any) -> tuple[Any, Any]:
    """The trained model: LoRA on top of `base` (reused, not loaded twice), or a full model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(adapter)
    if (path / "adapter_config.json").exists():
        from peft import PeftModel

        model: Any = PeftModel.from_pretrained(base, adapter)
    else:
        model = AutoModelForCausalLM.from_pretrained(adapter)
    if (path / "tokenizer_config.json").exists():
        return model, AutoTokenizer.from_pretrained(adapter)
    return model, base_tokenizer


def on_device(model: Any) -> Any:
    """Move to the GPU when there is one, unless accelerate already placed it (device_map)."""
    from trainer.model import cuda_available

    if cuda_available() and getattr(model, "hf_device_map", None) is None:
        return model.to("cuda")
    return model


def write_chart(report: dict[str, Any], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["models"])
    accuracy = [100 * report["models"][n]["accuracy"] for n in names]
    fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=120)
    bars = ax.bar(names, accuracy, color=["#9aa5b1", "#2f7ed8"][: len(names)])
    ax.bar_label(bars, labels=[f"{a:.1f}%" for a in accuracy])
    ax.set_ylim(0, 112)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{report['dataset']} {report['split']} (n={report['n']})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def evaluate(args: EvalArguments) -> dict[str, Any]:
    """Evaluate base and trained models; write the report and chart; return the report."""
    from trainer.model import load_policy

    adapter = args.adapter or args.output_dir
    if not adapter or not Path(adapter).exists():
        raise SystemExit(f"trained model directory not found: {adapter!r} (pass --adapter)")
    client = args.reward_client()
    base_model, base_tokenizer, _ = load_policy(args.model_name_or_path, seed=args.seed)
    dataset = args.load_dataset(
        args.eval_split, tokenizer=base_tokenizer, limit=args.eval_limit, seed=args.seed
    )
    rows = [dict(r) for r in dataset]
    prompts = [r["prompt"] for r in rows]
    report: dict[str, Any] = {
        "dataset": args.dataset_name,
        "split": args.eval_split,
        "n": len(rows),
        "base": args.model_name_or_path,
        "trained": adapter,
        "models": {},
        "args": asdict(args),
    }

    def run(name: str, model: Any, tokenizer: Any) -> None:
        start = time.monotonic()
        completions = generate(on_device(model), tokenizer, prompts, args)
        report["models"][name] = grade(client, rows, completions, args)
        report["models"][name]["seconds"] = round(time.monotonic() - start, 1)

    run("base", base_model, base_tokenizer)
    run("trained", *load_trained(adapter, base_model, base_tokenizer))
    report_path = args.report or str(Path(adapter) / "eval.json")
    chart_path = args.chart or str(Path(report_path).with_suffix(".png"))
    Path(report_path).parent.mkdir(parents=True, exist_ok=True)
    Path(report_path).write_text(json.dumps(report, indent=2) + "\n")
    write_chart(report, chart_path)
    report["report_path"], report["chart_path"] = report_path, chart_path
    return report


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    trl: Any = importlib.import_module("trl")
    parser = trl.TrlParser((EvalArguments,))
    argv = list(sys.argv[1:] if argv is None else argv)
    (args,) = parser.parse_args_and_config(argv, fail_with_unknown_args=False)
    report = evaluate(args)
    for name, result in report["models"].items():
        print(
            f"grpo-eval {name:>7}: accuracy {100 * result['accuracy']:.1f}% on {result['n']} "
            f"{report['dataset']} {report['split']} items ({result['statuses']})"
        )
    print(f"grpo-eval: report {report['report_path']}, chart {report['chart_path']}")
    return report


if __name__ == "__main__":
    main()
