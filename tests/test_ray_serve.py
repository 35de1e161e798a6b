"""The Ray Serve application: its options (pure), and a real two-node Ray cluster on this machine
where two replicas, each with its own Docker sandbox pool, score a load while one is killed."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from reward_service import ray_serve
from reward_service.sandbox.base import SandboxHealth
from reward_service.testing import free_port, local_ray_cluster
from tests.docker_support import require_docker
from trainer.client import ClientConfig, RewardClient


def _require_ray_serve() -> None:
    try:
        import ray.serve  # noqa: F401
    except ImportError as exc:
        if os.environ.get("REWARD_REQUIRE_INTEGRATIONS"):
            raise
        pytest.skip(f"Ray Serve is not installed ({exc}); pip install '.[ray]'")


# --- options, without a cluster -------------------------------------------------------------


def test_serve_run_arguments_arrive_as_strings_and_are_typed() -> None:
    args = ray_serve.ServeArgs.model_validate({"num_replicas": "3", "replica_cpus": "2.5"})
    assert (args.num_replicas, args.replica_cpus) == (3, 2.5)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"num_replica": "2"}, "num_replica"),  # a typo is an error, not a silent default
        ({"min_replicas": "5", "max_replicas": "2"}, "exceeds max_replicas"),
        ({"replica_cpus": "0"}, "replica_cpus"),
    ],
)
def test_bad_arguments_are_refused_with_the_field_named(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ray_serve.ServeArgs.model_validate(raw)


def test_a_fixed_count_or_autoscaling_on_ongoing_requests() -> None:
    env = {"REWARD_SANDBOX_POOL_SIZE": "2"}
    fixed = ray_serve.deployment_options(
        ray_serve.ServeArgs(num_replicas=2, max_replicas_per_node=1), env
    )
    assert fixed["num_replicas"] == 2 and "autoscaling_config" not in fixed
    assert fixed["max_replicas_per_node"] == 1
    assert fixed["ray_actor_options"] == {"num_cpus": 1.0, "runtime_env": {"env_vars": env}}
    scaled = ray_serve.deployment_options(ray_serve.ServeArgs(min_replicas=1, max_replicas=8), env)
    assert "num_replicas" not in scaled
    assert scaled["autoscaling_config"] == {
        "min_replicas": 1,
        "max_replicas": 8,
        "target_ongoing_requests": 4.0,
    }


def test_replicas_get_the_service_settings_but_not_the_bind_address() -> None:
    environ = {
        "REWARD_SANDBOX_POOL_SIZE": "4",
        "REWARD_API_KEY": "k",
        "REWARD_PORT": "9000",
        "REWARD_HOST": "0.0.0.0",
        "PATH": "/bin",
    }
    assert ray_serve.reward_env(environ) == {"REWARD_SANDBOX_POOL_SIZE": "4", "REWARD_API_KEY": "k"}


def test_a_bad_setting_fails_on_the_driver_not_in_every_replica() -> None:
    _require_ray_serve()
    with pytest.raises(ValidationError, match="sandbox_pool_size"):
        ray_serve.application({}, environ={"REWARD_SANDBOX_POOL_SIZE": "many"})


def _replica_with(health: SandboxHealth, backend: str = "docker") -> Any:
    services = SimpleNamespace(
        settings=SimpleNamespace(sandbox_backend=backend), sandbox_health=lambda: health
    )
    # the replica's own method on a stand-in for its app: no pool starts, no Ray runs
    replica = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(services=services)))
    return ray_serve.RewardReplica.check_health(replica)


def test_a_replica_whose_sandbox_has_no_container_is_unhealthy() -> None:
    down = SandboxHealth(ready=False, reason="no sandbox container is up")
    with pytest.raises(RuntimeError, match="no sandbox container is up"):
        asyncio.run(_replica_with(down))
    asyncio.run(_replica_with(SandboxHealth(ready=True)))
    # a service deployed without /code on purpose is healthy
    asyncio.run(_replica_with(down, backend="none"))


# --- a real cluster: a head and a worker node, one replica and one sandbox pool on each -------


@dataclass
class Deployed:
    url: str
    ray: ModuleType
    serve: ModuleType


def _wait(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.5)


def _replicas_running(serve: Any) -> int:
    status = serve.status().applications["rewards"].deployments["RewardService"]
    return int(status.replica_states.get("RUNNING", 0))


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    _require_ray_serve()
    require_docker()
    import ray
    from ray import serve

    with local_ray_cluster(nodes=2, cpus_per_node=1) as address:
        ray.init(address=address, log_to_driver=False)
        try:
            _wait(lambda: sum(n["Alive"] for n in ray.nodes()) == 2, 60, "the worker node")
            port = free_port()
            serve.start(http_options={"host": "127.0.0.1", "port": port})
            app = ray_serve.application(
                {"num_replicas": 2, "max_replicas_per_node": 1},
                environ={"REWARD_SANDBOX_POOL_SIZE": "1", "REWARD_LOG_LEVEL": "warning"},
            )
            serve.run(app, name="rewards", route_prefix="/")
            yield Deployed(url=f"http://127.0.0.1:{port}", ray=ray, serve=serve)
        finally:
            try:
                serve.shutdown()
            finally:
                ray.shutdown()


def _code_items(n: int) -> list[dict[str, Any]]:
    """Item i passes iff i is even, and each item's test names its own number: a result that
    came back for the wrong item, or twice, cannot look right. Each takes 30 ms or more, so a
    load of them keeps both replicas busy for a few seconds."""
    items = []
    for i in range(n):
        body = f"return x + {i}" if i % 2 == 0 else f"return x - {i}"
        program = f"import time\ndef f(x):\n    time.sleep(0.03)\n    {body}"
        items.append(
            {"completion": f"```python\n{program}\n```", "tests": [f"assert f(1) == {1 + i}"]}
        )
    return items


def test_two_replicas_each_own_a_sandbox_pool_on_their_node(deployed: Deployed) -> None:
    assert _replicas_running(deployed.serve) == 2
    # every CPU of both one-CPU nodes is held by a replica: one replica per node
    assert deployed.ray.available_resources().get("CPU", 0.0) == 0.0
    pools = set()
    for _ in range(40):
        health = httpx.get(f"{deployed.url}/healthz", timeout=10).json()
        code = health["backends"]["code"]
        assert code["ready"] and code["pool_target"] == 1
        pools.add(code["pool_id"])
    assert len(pools) == 2  # the proxy reached both replicas, each with a pool of its own


def test_a_replica_killed_mid_load_loses_no_item_and_ray_replaces_it(
    deployed: Deployed, caplog: pytest.LogCaptureFixture
) -> None:
    ray, serve = deployed.ray, deployed.serve
    caplog.set_level(logging.INFO, logger="trainer.client")
    client = RewardClient(
        ClientConfig(url=deployed.url, chunk_size=8, max_concurrency=16, read_timeout_s=60)
    )
    items = _code_items(8)
    gold = [{"completion": f"So #### {i}", "answer": str(i)} for i in range(8)]

    async def load() -> tuple[list[list[Any]], list[list[Any]]]:
        code = [asyncio.create_task(client.fetch("code", items)) for _ in range(24)]
        math = [asyncio.create_task(client.fetch("math", gold)) for _ in range(8)]
        # once the first answer is back, requests are running and queued on both replicas
        await asyncio.wait(code, return_when=asyncio.FIRST_COMPLETED)
        names = [
            a["name"]
            for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith("SERVE_REPLICA::rewards#RewardService")
        ]
        assert len(names) == 2, names
        ray.kill(ray.get_actor(names[0], namespace="serve"), no_restart=False)
        return await asyncio.gather(*code), await asyncio.gather(*math)

    code_answers, math_answers = asyncio.run(load())
    for answer in code_answers:
        assert [r and r["reward"] for r in answer] == [1.0, 0.0] * 4
        assert [r["status"] for r in answer] == ["passed", "failed"] * 4
    for answer in math_answers:
        assert [r and r["reward"] for r in answer] == [1.0] * 8
    # requests the killed replica held came back from Ray's proxy as 500s and were sent again
    assert "from a proxy, not the service" in caplog.text
    _wait(lambda: _replicas_running(serve) == 2, 90, "Ray to replace the killed replica")
