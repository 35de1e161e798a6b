"""POST /code: run completions' programs against tests in the sandbox and score them.

The scoring rules live in `reward_service.rewards.code`; this module adds the HTTP contract,
clamps requested limits to the server's maxima and answers 503 when no sandbox is running.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
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


@router.post("/code", response_model=CodeResponse)
async def code(
    body: CodeRequest, request: Request, settings: SettingsDep, sandbox: SandboxDep
) -> CodeResponse:
    """One result per item, in order. `status`: `passed` (every test), `failed`, `no_code`
    (-1.0), `error` (does not compile or raises while loading: -1.0) or `infra_error` (our
    sandbox failed: `reward` is null, retry later). `tests` has a status per test: `passed`,
    `failed`, `timeout`, `memory`, `output_limit` or `runtime_error`."""
    check_batch_size(len(body.items), settings)
    limits = resolve_limits(settings, body.limits)
    results = await score_code_items(
        sandbox, body.items, limits, max_completion_chars=settings.max_completion_chars
    )
    record_batch(request, "code", len(results), (r.status for r in results))
    return CodeResponse(results=results)
