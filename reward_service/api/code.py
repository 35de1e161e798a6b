"""POST /code: run completions' programs against tests in the sandbox and score them.

The scoring rules live in `reward_service.rewards.code`; this module adds the HTTP contract,
clamps requested limits to the server's maxima, answers 503 when no sandbox is running and 429
(with Retry-After) while the sandbox's queue is full, so programs never pile up without bound.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from reward_service.api.deps import SettingsDep, check_batch_size
from reward_service.api.observe import record_batch
from reward_service.api.schemas import ERROR_RESPONSES, CodeLimits, ErrorResponse
from reward_service.rewards.code import CodeItem, CodeResult, score_code_items
from reward_service.sandbox.base import SandboxBackend, SandboxLimits
from reward_service.settings import Settings

router = APIRouter(
    tags=["rewards"],
    responses={
        **ERROR_RESPONSES,
        503: {"model": ErrorResponse, "description": "No code sandbox is running on this server."},
    },
)


class CodeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "completion": "```python\ndef add(a, b):\n    return a + b\n```",
                            "tests": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"],
                        },
                        {
                            "completion": "```python\nprint(sum(map(int, input().split())))\n```",
                            "tests": [{"stdin": "1 2\n", "stdout": "3\n"}],
                        },
                        {
                            "completion": "```python\ndef inc(x):\n    return x + 1\n```",
                            "test": "def check(candidate):\n    assert candidate(1) == 2\n",
                            "entry_point": "inc",
                        },
                        {"completion": "I don't know.", "tests": ["assert inc(1) == 2"]},
                    ],
                    "limits": {"timeout_s": 5, "memory_mb": 256},
                }
            ]
        },
    )

    items: list[CodeItem]
    limits: CodeLimits | None = None


class CodeResponse(BaseModel):
    results: list[CodeResult]


def resolve_limits(settings: Settings, requested: CodeLimits | None = None) -> SandboxLimits:
    """The server defaults, overridden by the request, clamped to the server maxima."""
    timeout_s = settings.sandbox_timeout_s
    memory_mb = settings.sandbox_memory_mb
    if requested is not None:
        timeout_s = requested.timeout_s or timeout_s
        memory_mb = requested.memory_mb or memory_mb
    return SandboxLimits(
        timeout_s=min(timeout_s, settings.sandbox_max_timeout_s),
        memory_mb=min(memory_mb, settings.sandbox_max_memory_mb),
        output_bytes=settings.sandbox_output_bytes,
        processes=settings.sandbox_processes,
        # one file may fill the work dir, no more
        file_size_mb=settings.sandbox_tmpfs_mb,
    )


def sandbox_unavailable(settings: Settings) -> str:
    """Why there is no sandbox, and what to do about it."""
    if settings.sandbox_backend == "none":
        why = "the code sandbox is disabled (REWARD_SANDBOX_BACKEND=none)"
    else:
        why = "the Docker sandbox did not start (see the service log and /healthz)"
    return (
        f"{why}. To enable /code: run dockerd, build the image with scripts/build_images.sh, "
        "set REWARD_SANDBOX_BACKEND=docker and restart the service."
    )


def get_sandbox(request: Request) -> SandboxBackend:
    sandbox: SandboxBackend | None = request.app.state.sandbox
    if sandbox is None:
        raise HTTPException(503, detail=sandbox_unavailable(request.app.state.settings))
    return sandbox


SandboxDep = Annotated[SandboxBackend, Depends(get_sandbox)]

RETRY_AFTER_S = 1


def queued_jobs(sandbox: SandboxBackend) -> int:
    """Programs waiting for a container, for backends that queue them (0 for others)."""
    queued = getattr(sandbox, "queued", 0)
    return queued if isinstance(queued, int) else 0


def sandbox_overloaded(sandbox: SandboxBackend, settings: Settings) -> JSONResponse | None:
    """A 429 while the sandbox queue is at its bound; None when a batch may join it.

    Checked right before the batch is queued, with no await in between, so the queue never
    grows past the bound by more than one batch."""
    queued = queued_jobs(sandbox)
    if queued < settings.sandbox_max_queued_jobs:
        return None
    return JSONResponse(
        status_code=429,
        content={
            "error": "overloaded",
            "detail": f"{queued} programs are waiting for a sandbox container "
            f"(REWARD_SANDBOX_MAX_QUEUED_JOBS={settings.sandbox_max_queued_jobs}); "
            "retry after the delay",
        },
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


@router.post("/code", response_model=CodeResponse)
async def code(
    body: CodeRequest, request: Request, settings: SettingsDep, sandbox: SandboxDep
) -> CodeResponse | JSONResponse:
    """One result per item, in order. `status`: `passed` (every test), `failed`, `no_code`
    (-1.0), `error` (does not compile or fails while loading: -1.0) or `infra_error` (our
    sandbox failed: `reward` is null, retry later). `tests` has a status per test: `passed`,
    `failed`, `timeout`, `memory`, `output_limit` or `runtime_error`."""
    check_batch_size(len(body.items), settings)
    limits = resolve_limits(settings, body.limits)
    overloaded = sandbox_overloaded(sandbox, settings)
    if overloaded is not None:
        return overloaded
    results = await score_code_items(
        sandbox, body.items, limits, max_completion_chars=settings.max_completion_chars
    )
    record_batch(request, "code", len(results), (r.status for r in results))
    return CodeResponse(results=results)
