"""The service as a Ray Serve application: replicas over a Ray cluster, each with its own sandbox.

    serve run reward_service.ray_serve:build_app num_replicas=2 replica_cpus=2

Each replica is the same FastAPI app as `reward-service` (same routes, limits and errors), and
owns a warm sandbox pool on the Docker engine of the node it runs on. Ray places, restarts and
autoscales replicas; its HTTP proxy spreads requests over them. Nothing here schedules anything.

Replicas read their settings from `REWARD_*` variables like the service does; those set where
`build_app` runs are handed to every replica (a worker node does not share the driver's
environment). A replica is unhealthy, and Ray replaces it, when the sandbox it was configured with
has no live container (the same `ready` that /healthz reports).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reward_service.app import app_from_env
from reward_service.settings import Settings

ENV_PREFIX = "REWARD_"


class ServeArgs(BaseModel):
    """What `serve run reward_service.ray_serve:build_app key=value ...` accepts."""

    model_config = ConfigDict(extra="forbid")

    num_replicas: int | None = Field(
        None, ge=1, description="A fixed replica count; unset, replicas autoscale on queue depth."
    )
    min_replicas: int = Field(1, ge=0, description="Autoscaling floor.")
    max_replicas: int = Field(4, ge=1, description="Autoscaling ceiling.")
    target_ongoing_requests: float = Field(
        4.0, gt=0, description="Requests in flight per replica that autoscaling aims for."
    )
    replica_cpus: float = Field(
        1.0, gt=0, description="Ray CPUs each replica reserves: its sandbox pool's share."
    )
    max_replicas_per_node: int | None = Field(
        None, ge=1, description="1 puts every replica on a node of its own."
    )
    max_ongoing_requests: int = Field(
        64, ge=1, description="Requests one replica takes at once (the service's own 429 bound)."
    )

    @model_validator(mode="after")
    def _replica_bounds(self) -> ServeArgs:
        if self.num_replicas is None and self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) exceeds max_replicas ({self.max_replicas})"
            )
        return self


def reward_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The `REWARD_*` variables to hand to replicas (bind settings are the proxy's, not ours)."""
    environ = dict(os.environ if environ is None else environ)
    skip = {f"{ENV_PREFIX}HOST", f"{ENV_PREFIX}PORT", f"{ENV_PREFIX}WORKERS"}
    return {k: v for k, v in environ.items() if k.startswith(ENV_PREFIX) and k not in skip}


def deployment_options(args: ServeArgs, env: dict[str, str]) -> dict[str, Any]:
    """`serve.deployment` options for `args`: pure, so tests can read what Ray will be given."""
    options: dict[str, Any] = {
        "name": "RewardService",
        "ray_actor_options": {"num_cpus": args.replica_cpus, "runtime_env": {"env_vars": env}},
        "max_ongoing_requests": args.max_ongoing_requests,
        "health_check_period_s": 5.0,
        "health_check_timeout_s": 30.0,
        "graceful_shutdown_timeout_s": 30.0,
    }
    if args.num_replicas is not None:
        options["num_replicas"] = args.num_replicas
    else:
        options["autoscaling_config"] = {
            "min_replicas": args.min_replicas,
            "max_replicas": args.max_replicas,
            "target_ongoing_requests": args.target_ongoing_requests,
        }
    if args.max_replicas_per_node is not None:
        options["max_replicas_per_node"] = args.max_replicas_per_node
    return options


class RewardReplica:
    """One replica: the reward app (`self.app`, set by `serve.ingress`) and the sandbox pool its
    lifespan starts. Ray calls `check_health` every few seconds."""

    app: Any

    async def check_health(self) -> None:
        """Raises (Ray then replaces this replica) when a configured sandbox has no container."""
        services = self.app.state.services
        if services.settings.sandbox_backend == "none":
            return
        health = services.sandbox_health()
        if not health.ready:
            raise RuntimeError(f"code sandbox not ready: {health.reason}")


def build_app(args: dict[str, Any]) -> Any:
    """`serve run reward_service.ray_serve:build_app key=value ...` (Ray passes the `key=value`
    pairs as one dict, and nothing else): `application(args)`."""
    return application(args)


def application(
    raw_args: dict[str, Any] | None = None, *, environ: dict[str, str] | None = None
) -> Any:
    """The application (`ray.serve.Application`) for `serve.run`; `raw_args` as in `ServeArgs`,
    replica settings from the `REWARD_*` variables of `environ` (default: this process's)."""
    try:
        from ray import serve
    except ImportError as exc:
        raise ImportError(
            "the Ray Serve application needs Ray Serve: pip install 'verifiable-rewards[ray]'"
        ) from exc
    args = ServeArgs.model_validate(raw_args or {})
    env = reward_env(environ)
    # a bad value fails here, once, rather than in every replica Ray starts and restarts
    Settings.model_validate({k.removeprefix(ENV_PREFIX).lower(): v for k, v in env.items()})
    options = deployment_options(args, env)
    # the app is built on each replica (`app_from_env`), where its sandbox pool starts
    replica = serve.ingress(app_from_env)(RewardReplica)
    return serve.deployment(**options)(replica).bind()
