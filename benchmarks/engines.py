"""The same /code work under several sandbox engines, side by side, for bench_code.py --engine.

    --engine docker                       the Docker engine (DOCKER_HOST, else its socket), runc
    --engine podman=unix:///run/user/1001/podman/podman.sock   rootless Podman's API socket
    --engine gvisor                       the Docker engine with REWARD_SANDBOX_RUNTIME=runsc
    --engine gvisor=URL                   runsc on the engine at URL

One service per engine, all up at once (idle containers cost nothing), and the rounds take
turns engine by engine, so the machine's drift weighs on each alike. Per engine: HumanEval's
164 canonical programs in one batch, and the GRPO-shaped 64 x 10 batch in the assert and
stdin/stdout forms; the ratio to the first engine named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from reward_service.testing import running_service

try:
    from benchmarks.grpo_batches import assert_items, stdio_items
except ModuleNotFoundError:  # run as `python benchmarks/bench_code.py`
    from grpo_batches import assert_items, stdio_items  # type: ignore[no-redef]

KINDS = ("docker", "podman", "gvisor")


@dataclass(frozen=True)
class Engine:
    name: str
    env: dict[str, str]


def parse(spec: str) -> Engine:
    """`docker`, `podman=URL`, `gvisor` or `gvisor=URL`."""
    kind, _, url = spec.partition("=")
    if kind not in KINDS:
        raise SystemExit(f"--engine {spec}: the kinds are {', '.join(KINDS)}")
    if kind == "podman" and not url:
        raise SystemExit("--engine podman=URL: name the Podman API socket (podman system service)")
    env = {"REWARD_SANDBOX_ENGINE_URL": url} if url else {}
    if kind == "gvisor":
        env["REWARD_SANDBOX_RUNTIME"] = "runsc"
    return Engine(kind, env)


def compare(
    specs: list[str],
    humaneval: list[dict[str, Any]],
    rounds: int,
    timed: Callable[[httpx.Client, list[dict[str, Any]]], float],
) -> None:
    """Prints the side-by-side table; `humaneval` are /code items (bench_code.code_items),
    `timed` bench_code's timing of one batch (every item must score 1.0)."""
    engines = [parse(spec) for spec in specs]
    batches = {
        "HumanEval 164": humaneval,
        "64x10 assert": assert_items(tests=10),
        "64x10 stdio": stdio_items(tests=10),
    }
    seconds: dict[str, dict[str, list[float]]] = {e.name: {b: [] for b in batches} for e in engines}
    health: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        clients = {}
        for engine in engines:
            env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_LANGUAGES": "python"}
            url = stack.enter_context(running_service(timeout_s=120, **env, **engine.env))
            client = stack.enter_context(httpx.Client(base_url=url, timeout=600))
            clients[engine.name] = client
            health[engine.name] = client.get("/healthz").json()["backends"]["code"]["engine"]
            for items in batches.values():
                timed(client, items)  # warm-up
        for _ in range(rounds):
            for engine in engines:
                for name, items in batches.items():
                    seconds[engine.name][name].append(timed(clients[engine.name], items))
    first = engines[0].name
    print(f"\nEngines side by side (mean of {rounds} rounds, taking turns; ratio to {first})")
    for engine in engines:
        info = health[engine.name]
        unenforced = ", ".join(info["limits_not_enforced"]) or "none"
        print(
            f"  {engine.name}: {info['engine']} {info['version']}"
            f"{' rootless' if info['rootless'] else ''}, runtime {info['runtime']}, "
            f"cgroup v{info['cgroup_version']}, limits not enforced: {unenforced}"
        )
    header = f"  {'engine':<8}" + "".join(f"{name:>26}" for name in batches)
    print(header)
    for engine in engines:
        cells = []
        for name, items in batches.items():
            mean = sum(seconds[engine.name][name]) / rounds
            base = sum(seconds[first][name]) / rounds
            cells.append(f"{len(items) / mean:8.1f} prog/s {base / mean:5.2f}x")
        print(f"  {engine.name:<8}" + "".join(f"{cell:>26}" for cell in cells))
