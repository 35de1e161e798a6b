"""EvalPlus material for the verdict tests and the benchmark: problems (trainer.evalplus), wrong
solutions made from the canonical ones, and the verdicts of /code and of a plain run.

A wrong solution is the canonical one with one mutation a model could make (a comparison or an
arithmetic operator swapped, a constant off by one, a bound shifted); each mutant is kept only
if it still compiles. The plain run is tests/rewards/plain_calls.py in the Python sandbox image,
unsandboxed, so both sides run the same Python.
"""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.docker_support import IMAGE

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "evalplus"
RUNNER = Path(__file__).resolve().parents[2] / "sandbox_images"
PLAIN = Path(__file__).resolve().parent / "plain_calls.py"
BODY_BYTES = 24 << 20  # a /code request under the service's 32 MB body limit

SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Add,
    ast.FloorDiv: ast.Mod,
    ast.And: ast.Or,
    ast.Or: ast.And,
}


def use_local_data() -> None:
    """EvalPlus reads the shared copies instead of downloading (its own override variables)."""
    os.environ.setdefault("HUMANEVAL_OVERRIDE_PATH", str(DATA / "HumanEvalPlus.jsonl.gz"))
    os.environ.setdefault("MBPP_OVERRIDE_PATH", str(DATA / "MbppPlus.jsonl.gz"))


def sites(tree: ast.AST) -> list[ast.AST]:
    """Nodes a mutation can change: operators that have a swap, small int constants."""
    return [node for node in ast.walk(tree) if mutable(node)]


def mutable(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return type(node.ops[0]) in SWAPS
    if isinstance(node, (ast.BinOp, ast.BoolOp)):
        return type(node.op) in SWAPS
    return isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 100


def mutate(node: ast.AST) -> None:
    if isinstance(node, ast.Compare):
        node.ops[0] = SWAPS[type(node.ops[0])]()
    elif isinstance(node, (ast.BinOp, ast.BoolOp)):
        node.op = SWAPS[type(node.op)]()
    elif isinstance(node, ast.Constant):
        node.value += 1


def mutants(program: str, count: int, seed: str) -> list[str]:
    """Up to `count` distinct programs, each with one mutation of `program`."""
    tree = ast.parse(program)
    positions = list(range(len(sites(tree))))
    random.Random(seed).shuffle(positions)
    made: list[str] = []
    for position in positions:
        copy = ast.parse(program)
        mutate(sites(copy)[position])
        text = ast.unparse(copy)
        try:
            compile(text, "<mutant>", "exec")
        except SyntaxError:
            continue
        if text not in made and text != ast.unparse(tree):
            made.append(text)
        if len(made) == count:
            break
    return made


def batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for item in items:
        length = len(json.dumps(item))
        if batch and size + length > BODY_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += length
    if batch:
        yield batch


TIMEOUT_S = 2.0  # a call's wall clock, on both sides
BUDGET_S = 20.0  # a program's, on both sides (/code: deadline_s): mutants that hang cost no more


def code_verdicts(url: str, items: list[dict[str, Any]], **fields: Any) -> list[list[str]]:
    """Every item's test statuses from /code, in order."""
    found: list[list[str]] = []
    limits = {"timeout_s": TIMEOUT_S}
    with httpx.Client(base_url=url, timeout=3600) as client:
        for batch in batches([{"deadline_s": BUDGET_S, **item, **fields} for item in items]):
            response = client.post("/code", json={"items": batch, "limits": limits})
            response.raise_for_status()
            for result in response.json()["results"]:
                found.append([test["status"] for test in result["tests"]])
    return found


def plain_verdicts(runs: list[dict[str, Any]], workers: int = 2) -> list[list[str]]:
    """Every run's verdicts from plain_calls.py in the Python sandbox image (a plain run:
    no sandbox, the image's Python), `workers` containers at a time; `runs`: `{"program",
    "entry_point", "calls", "call_check"}`."""
    shares = [list(enumerate(runs))[n::workers] for n in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        found = [row for rows in pool.map(_plain, shares) for row in rows]
    by_id = {row["id"]: row["verdicts"] for row in found}
    return [by_id[i] for i in range(len(runs))]


def _plain(share: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    lines = "".join(json.dumps({"id": i, **run}) + "\n" for i, run in share)
    command = ["docker", "run", "--rm", "-i", "--network", "none", "--entrypoint", "python3"]
    command += ["-v", f"{RUNNER}:/runner:ro", "-v", f"{PLAIN}:/plain_calls.py:ro", "-w", "/"]
    command += ["-e", "PYTHONPATH=/runner", "-e", f"PLAIN_TIMEOUT_S={TIMEOUT_S}"]
    command += ["-e", f"PLAIN_BUDGET_S={BUDGET_S}", IMAGE, "/plain_calls.py"]
    done = subprocess.run(command, input=lines, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]
