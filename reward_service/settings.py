"""Every knob of the service, read once from `REWARD_*` environment variables.

Defaults are safe for a laptop: bind to loopback, modest limits. Units are in the names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reward_service.languages import FAMILIES, LANGUAGES, Family, Language, canonical_language
from reward_service.sandbox.base import (
    DEFAULT_LIMITS,
    MemoryMB,
    OutputBytes,
    Processes,
    TimeoutS,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REWARD_", frozen=True, extra="ignore")

    # Server
    host: str = Field("127.0.0.1", description="Interface to bind; 0.0.0.0 exposes the service.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one).")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes.")
    log_level: str = Field("info", description="Python logging level name.")
    api_key: SecretStr | None = Field(
        None,
        description="When set, every endpoint but /healthz needs `Authorization: Bearer <key>`.",
    )

    # Request limits (413 beyond them)
    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1024, description="Largest request body.")
    max_batch_items: int = Field(8192, ge=1, description="Most items in one batch.")
    max_concurrent_requests: int = Field(
        64, ge=1, description="Scoring requests in flight at once; more get 429 + Retry-After."
    )
    max_completion_chars: int = Field(
        100_000, ge=1, description="Longer completions get status `error` (the batch still scores)."
    )

    # Math
    latex_timeout_s: float = Field(5.0, gt=0, le=60, description="Budget per `latex` item.")
    latex_workers: int = Field(2, ge=1, le=64, description="Processes that run math-verify.")

    # Code sandbox (see reward_service/sandbox/)
    sandbox_backend: Literal["docker", "none"] = Field(
        "docker", description="`docker`, or `none` to serve without /code (no Docker needed)."
    )
    sandbox_engine_url: str | None = Field(
        None,
        description="The container engine's API, e.g. unix:///run/user/1000/podman/podman.sock "
        "for rootless Podman (`podman system service`); unset: DOCKER_HOST, else Docker's "
        "default socket.",
    )
    sandbox_runtime: str | None = Field(
        None,
        description="OCI runtime registered with the engine, e.g. `runsc` (gVisor: a user-space "
        "kernel between programs and the host); unset: the engine's default (runc).",
    )
    sandbox_image: str = Field(
        "reward-sandbox-python:latest", description="Python's image (sandbox_images/python)."
    )
    sandbox_languages: str = Field(
        ",".join(LANGUAGES),
        description="Comma-separated languages /code runs (each needs its image; aliases such "
        "as c++ or js work). The others' items get `infra_error`.",
    )
    sandbox_images: dict[str, str] = Field(
        default_factory=dict,
        description='JSON, family -> image, e.g. {"cpp": "my/cpp:1"}; families: '
        + ", ".join(FAMILIES)
        + ". Default: reward-sandbox-<family>:latest (Python: REWARD_SANDBOX_IMAGE).",
    )
    sandbox_pool_size: int = Field(0, ge=0, le=256, description="Warm containers; 0 = CPU count.")
    sandbox_jobs_per_container: int = Field(
        1024,
        ge=1,
        description="Recycle a container after this many jobs (a backstop: every job ends with "
        "a reset the runner must prove clean; a recycle costs ~0.5 s of CPU).",
    )
    sandbox_timeout_s: TimeoutS = Field(
        DEFAULT_LIMITS.timeout_s, description="Default per-test wall-clock limit."
    )
    sandbox_max_timeout_s: TimeoutS = Field(30.0, description="Clamp for requested timeouts.")
    sandbox_memory_mb: MemoryMB = Field(
        DEFAULT_LIMITS.memory_mb, description="Default memory per program process."
    )
    sandbox_max_memory_mb: MemoryMB = Field(1024, description="Clamp for requested memory.")
    sandbox_output_bytes: OutputBytes = Field(
        DEFAULT_LIMITS.output_bytes, description="stdout/stderr cap per test."
    )
    sandbox_processes: Processes = Field(
        DEFAULT_LIMITS.processes, description="Processes+threads a program may run at once."
    )
    sandbox_compile_timeout_s: TimeoutS = Field(
        DEFAULT_LIMITS.compile_timeout_s, description="Compile step's wall-clock limit."
    )
    sandbox_compile_memory_mb: MemoryMB = Field(
        DEFAULT_LIMITS.compile_memory_mb, description="Address space of a compiler process."
    )
    sandbox_tmpfs_mb: int = Field(
        64, ge=1, le=4096, description="Writable /tmp (and /dev/shm) per container, in RAM."
    )
    sandbox_cpus_per_container: float = Field(
        1.0, gt=0, le=64, description="CPU quota of each warm container."
    )
    sandbox_max_queued_jobs: int = Field(
        4096,
        ge=1,
        description="Programs waiting for a container at most; once reached, /code answers 429 "
        "with Retry-After (a batch is admitted whole while the queue is below it).",
    )

    @field_validator("sandbox_languages")
    @classmethod
    def _known_languages(cls, value: str) -> str:
        names = [canonical_language(name) for name in value.split(",") if name.strip()]
        if not names:
            raise ValueError("name at least one language")
        return ",".join(dict.fromkeys(names))

    @field_validator("sandbox_images")
    @classmethod
    def _known_families(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FAMILIES))
        if unknown:
            raise ValueError(f"unknown image families {unknown}; families: {', '.join(FAMILIES)}")
        return value

    @property
    def languages(self) -> tuple[Language, ...]:
        return tuple(canonical_language(name) for name in self.sandbox_languages.split(","))

    def image_for(self, family: Family) -> str:
        if family in self.sandbox_images:
            return self.sandbox_images[family]
        return self.sandbox_image if family == "python" else f"reward-sandbox-{family}:latest"
