"""All of HumanEval+ through /code beside EvalPlus's own evaluator, on the same samples (the
canonical solutions), in one run: the part of benchmarks/bench_code.py that measures the calls
form at EvalPlus scale (about 124,000 tests).

- /code: the problems as calls-form items (trainer/evalplus.py: EvalPlus's inputs, ground truth
  and comparison rules), sent in requests under the body limit, two in flight;
- `evalplus.evaluate("humaneval", samples, parallel=N)`: EvalPlus's evaluator (unsandboxed, a
  process per sample), with N the service's containers, its ground truth computed beforehand
  (it caches it), every test run (`test_details`).
Rounds alternate. The data is read from ../shared through `HUMANEVAL_OVERRIDE_PATH`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "evalplus"
BODY_BYTES = int(os.environ.get("PLUS_BODY_MB", "4")) << 20


def available() -> str | None:
    """Why this part cannot run here, or None."""
    if not (DATA / "HumanEvalPlus.jsonl.gz").exists():
        return f"no EvalPlus data at {DATA}"
    try:
        import evalplus  # noqa: F401
    except ImportError:
        return "evalplus is not installed (see .ci/run)"
    return None


def items_and_samples() -> tuple[list[dict[str, Any]], Path, int, int]:
    """(/code items, EvalPlus's samples file, tests, tests left out as too large)."""
    os.environ.setdefault("HUMANEVAL_OVERRIDE_PATH", str(DATA / "HumanEvalPlus.jsonl.gz"))
    from trainer.evalplus import load

    problems = list(load("humaneval"))
    items = [p.item(p.prompt + p.canonical_solution) for p in problems]
    samples = Path(tempfile.mkdtemp()) / "canonical.jsonl"
    with samples.open("w") as out:
        for p in problems:
            out.write(
                json.dumps({"task_id": p.task_id, "solution": p.prompt + p.canonical_solution})
            )
            out.write("\n")
    tests = sum(len(p.calls) for p in problems)
    return items, samples, tests, sum(len(p.left_out) for p in problems)


def code_seconds(client: httpx.Client, items: list[dict[str, Any]]) -> tuple[float, int]:
    """(seconds for every item, items below 1.0); requests two at a time."""
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for item in items:
        length = len(json.dumps(item))
        if batches[-1] and size + length > BODY_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += length

    def post(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = client.post("/code", json={"items": batch, "limits": {"timeout_s": 30}})
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    started = time.perf_counter()
    with ThreadPoolExecutor(int(os.environ.get("PLUS_INFLIGHT", "4"))) as pool:
        results = [r for batch in pool.map(post, batches) for r in batch]
    return time.perf_counter() - started, sum(r["reward"] != 1.0 for r in results)


def evalplus_seconds(samples: Path, parallel: int) -> tuple[float, int]:
    """(seconds of `evalplus.evaluate` on the samples, problems it failed)."""
    from evalplus.evaluate import evaluate

    results_file = samples.with_name("canonical_eval_results.json")
    results_file.unlink(missing_ok=True)  # else it asks on stdin whether to overwrite
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        evaluate("humaneval", samples=str(samples), parallel=parallel, i_just_wanna_run=True,
                 test_details=True)  # fmt: skip
    seconds = time.perf_counter() - started
    results = json.loads(results_file.read_text())
    failed = sum(r[0]["plus_status"] != "pass" for r in results["eval"].values())
    return seconds, failed


def bench(client: httpx.Client, rounds: int, parallel: int) -> None:
    items, samples, tests, left_out = items_and_samples()
    print(f"\nHumanEval+: 164 canonical solutions, {tests} tests ({left_out} inputs left out,")
    print(
        f"  too large for a request); /code's calls form vs evalplus.evaluate(parallel={parallel})"
    )
    evalplus_seconds(samples, parallel)  # warm-up: its ground truth cache, the page cache
    code_seconds(client, items)
    ours, theirs = [], []
    for _ in range(rounds):
        seconds, below = code_seconds(client, items)
        ours.append(seconds)
        seconds, failed = evalplus_seconds(samples, parallel)
        theirs.append(seconds)
    code, peer = statistics.mean(ours), statistics.mean(theirs)
    print(f"  POST /code (sandboxed):      {tests / code:9.0f} tests/s ({code:.1f} s; "
          f"{below} problems below 1.0)")  # fmt: skip
    print(f"  evalplus.evaluate (plain):   {tests / peer:9.0f} tests/s ({peer:.1f} s; "
          f"{failed} problems failed)")  # fmt: skip
    print(f"/code vs EvalPlus on HumanEval+: {peer / code:6.2f}x (target >= 1.5x)")
