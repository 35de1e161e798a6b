"""`grpo-eval`: accuracy through the reward service, base model vs trained model(s), same harness.

    grpo-eval --config recipes/learn-cpu.yaml --adapter runs/learn-cpu
    grpo-eval --config recipes/word-problems-smollm2-cpu.yaml \
        --adapter runs/wp-seed0 runs/wp-seed1 runs/wp-seed2 --control runs/wp-control
    grpo-eval --model_name_or_path Qwen/Qwen2.5-7B-Instruct \
        --adapter runs/gsm8k-qwen2.5-7b-unsloth --dataset_name gsm8k --eval_split test \
        --eval_limit 500 --max_completion_length 1024

Every model sees the same prompts (built by `trainer.data`, as in training), decodes greedily, and
is graded by the service (`/math` for math datasets, `/code` for code datasets). A recipe can be
passed with `--config`: keys this command does not know (GRPO settings) are ignored, and
`output_dir` is the default `--adapter`. Writes a JSON report and a PNG chart (by default
`<first adapter>/eval.json` and `.png`).

`--adapter` names one or more trained runs (several seeds of one recipe: the report adds their
mean, standard deviation and range), each a LoRA adapter directory (has `adapter_config.json`;
loaded on top of the base) or a full saved model; `--control` names a control run (e.g. one trained
with `--random_reward true`). Math answers are read two ways, both by the service: `accuracy` is
the recipe's extraction (for GSM8K-shaped data the strict `#### n`), `accuracy_last_number` reads
the last number of the reply (`flexible`), and `format` is the share of replies in which the
strict extraction found an answer at all. Code: items whose tests all passed. Items the service
could not score count as not correct and are reported as `unscored`. When a run's
`trainer_state.json` logged the service's `math_reward/frac_correct`, the chart also plots that
training accuracy against the step.

Left out: sampling-based metrics (pass@k), vLLM generation, and batching across devices.
"""

from __future__ import annotations

import importlib
import json
import logging
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trainer.client import Result, RewardClient, run_sync
from trainer.config import EvalArguments
from trainer.reward_specs import math_spec

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
    reward and status counts (math: also the last-number reading and the format share)."""
    spec = args.grading_spec()
    results = run_sync(spec.fetch(client, completions, rows))
    if spec.endpoint == "code":
        correct = [
            r is not None and r.get("total", 0) > 0 and r["passed"] == r["total"] for r in results
        ]
    else:
        correct = [_status(r) == "correct" for r in results]
    rewards = [r["reward"] for r in results if r is not None and r.get("reward") is not None]
    statuses = Counter(_status(r) for r in results)
    graded: dict[str, Any] = {
        "n": len(results),
        "accuracy": _share(correct),
        "mean_reward": sum(rewards) / len(rewards) if rewards else None,
        "statuses": dict(statuses),
    }
    if spec.endpoint == "math":
        last = run_sync(math_spec(extract="flexible").fetch(client, completions, rows))
        graded["accuracy_last_number"] = _share([_status(r) == "correct" for r in last])
        graded["format"] = _share([_status(r) not in ("missing", "unscored") for r in results])
    graded["examples"] = [
        {"completion": c, "status": _status(r)}
        for c, r in list(zip(completions, results, strict=True))[:5]
    ]
    return graded


def _status(result: Result | None) -> str:
    return "unscored" if result is None else str(result.get("status"))


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


METRICS = ("accuracy", "accuracy_last_number", "format")


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation (0 for one run), min and max.

    >>> spread([0.25, 0.35, 0.30])["mean"], round(spread([0.25, 0.35, 0.30])["sd"], 3)
    (0.3, 0.05)
    """
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {
        "mean": statistics.fmean(values),
        "sd": sd,
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def trained_summary(models: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Each metric's spread over the trained runs (every model but `base` and `control`)."""
    runs = [m for name, m in models.items() if name not in ("base", "control")]
    return {k: spread([m[k] for m in runs]) for k in METRICS if runs and all(k in m for m in runs)}


def training_curve(run_dir: str) -> list[tuple[int, float]]:
    """(step, share of sampled completions the service graded correct) from a run's log."""
    state = Path(run_dir) / "trainer_state.json"
    if not state.exists():
        return []
    history = json.loads(state.read_text()).get("log_history", [])
    # Only the statuses a batch had are logged; frac_unscored always is, so its step counts.
    logged = [e for e in history if "math_reward/frac_unscored" in e and "step" in e]
    return [(int(e["step"]), float(e.get("math_reward/frac_correct", 0.0))) for e in logged]


def load_trained(adapter: str, base: Any, base_tokenizer: Any) -> tuple[Any, Any]:
    """The trained model: LoRA on top of `base` (reused, not loaded twice; `unload()` restores
    it), or a full model."""
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
    """Held-out accuracy per model (both readings for math), and training accuracy by step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {n: c for n, c in report.get("curves", {}).items() if c}
    fig, axes = plt.subplots(1, 2 if curves else 1, figsize=(10 if curves else 5.5, 3.8), dpi=120)
    bars_ax = axes[0] if curves else axes
    groups = _chart_groups(report)
    metrics = [m for m in ("accuracy", "accuracy_last_number") if all(m in g[1] for g in groups)]
    width = 0.8 / len(metrics)
    colours = {"accuracy": "#2f7ed8", "accuracy_last_number": "#9aa5b1"}
    labels = {"accuracy": "strict (####)", "accuracy_last_number": "last number"}
    for i, metric in enumerate(metrics):
        xs = [j + (i - (len(metrics) - 1) / 2) * width for j in range(len(groups))]
        heights = [100 * g[1][metric]["mean"] for g in groups]
        errors = [100 * g[1][metric]["sd"] for g in groups]
        bars = bars_ax.bar(
            xs, heights, width, yerr=errors, capsize=3, color=colours[metric], label=labels[metric]
        )
        bars_ax.bar_label(bars, labels=[f"{h:.1f}" for h in heights], fontsize=8)
    bars_ax.set_xticks(range(len(groups)), [g[0] for g in groups])
    bars_ax.set_ylim(0, 112)
    bars_ax.set_ylabel("held-out accuracy (%)")
    bars_ax.set_title(f"{report['dataset']} {report['split']} (n={report['n']}), greedy")
    if len(metrics) > 1:
        bars_ax.legend(fontsize=8, loc="upper left")
    if curves:
        for name, curve in curves.items():
            style = "--" if name == "control" else "-"
            axes[1].plot(*zip(*curve, strict=True), style, label=name, linewidth=1.2)
        axes[1].set_xlabel("training step")
        axes[1].set_ylabel("sampled completions correct (%)")
        axes[1].yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}")
        axes[1].set_title("accuracy while training (the service's verdicts)")
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _chart_groups(report: dict[str, Any]) -> list[tuple[str, dict[str, dict[str, float]]]]:
    """(label, metric -> spread) for base, control and the trained runs (as one bar)."""
    models, summary = report["models"], report.get("trained_summary") or {}

    def alone(model: dict[str, Any]) -> dict[str, dict[str, float]]:
        return {k: spread([model[k]]) for k in METRICS if k in model}

    groups = [(name, alone(models[name])) for name in ("base", "control") if name in models]
    trained = [name for name in models if name not in ("base", "control")]
    if len(trained) > 1 and summary:
        return [*groups, (f"trained ({len(trained)} seeds)", summary)]
    return [*groups, *((name, alone(models[name])) for name in trained)]


def evaluate(args: EvalArguments) -> dict[str, Any]:
    """Evaluate the base, control and trained models; write the report and chart; return it."""
    from trainer.model import load_policy

    adapters = list(args.adapter or ([args.output_dir] if args.output_dir else []))
    for path in [*adapters, *([args.control] if args.control else [])]:
        if not Path(path).exists():
            raise SystemExit(f"trained model directory not found: {path!r} (pass --adapter)")
    if not adapters:
        raise SystemExit("no trained model to evaluate: pass --adapter (or a recipe's output_dir)")
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
        "trained": adapters,
        "control": args.control,
        "models": {},
        "args": asdict(args),
    }

    def run(name: str, model: Any, tokenizer: Any) -> None:
        start = time.monotonic()
        completions = generate(on_device(model), tokenizer, prompts, args)
        report["models"][name] = grade(client, rows, completions, args)
        report["models"][name]["seconds"] = round(time.monotonic() - start, 1)
        logger.info("%s: %s", name, {k: report["models"][name].get(k) for k in METRICS})

    run("base", base_model, base_tokenizer)
    named = [("control", args.control)] if args.control else []
    if len(adapters) == 1:
        named.append(("trained", adapters[0]))
    else:
        names = [f"trained:{Path(a).name}" for a in adapters]
        named += [
            (name if names.count(name) == 1 else f"{name}#{i + 1}", path)
            for i, (name, path) in enumerate(zip(names, adapters, strict=True))
        ]
    for name, path in named:
        model, tokenizer = load_trained(path, base_model, base_tokenizer)
        run(name, model, tokenizer)
        if type(model).__module__.startswith("peft"):  # a LoRA: take it off the shared base
            base_model = model.unload()
        del model
    report["trained_summary"] = trained_summary(report["models"])
    report["curves"] = {name: training_curve(path) for name, path in named}
    report_path = args.report or str(Path(adapters[0]) / "eval.json")
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
        readings = f"accuracy {100 * result['accuracy']:.1f}%"
        if "accuracy_last_number" in result:
            readings += (
                f" (last number {100 * result['accuracy_last_number']:.1f}%, "
                f"format {100 * result['format']:.1f}%)"
            )
        print(
            f"grpo-eval {name:>7}: {readings} on {result['n']} "
            f"{report['dataset']} {report['split']} items ({result['statuses']})"
        )
    for metric, stats in report["trained_summary"].items():
        if stats["runs"] > 1:
            print(
                f"grpo-eval trained, {stats['runs']} runs: {metric} "
                f"{100 * stats['mean']:.1f} +- {100 * stats['sd']:.1f}% "
                f"(range {100 * stats['min']:.1f}-{100 * stats['max']:.1f})"
            )
    print(f"grpo-eval: report {report['report_path']}, chart {report['chart_path']}")
    return report


if __name__ == "__main__":
    main()
