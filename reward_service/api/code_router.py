"""POST /code: run completions' programs against tests in the sandbox and reward them.

The models are in `code_schemas.py`, the batch runs in `code_grading.py`, and the reward rules
live in `reward_service.rewards.code`; this module adds the HTTP behaviour: limits clamped to
the server's maxima, 503 when no sandbox is running, 429 (with Retry-After) while the
sandbox's queue is full, so programs never pile up without bound.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from reward_service.api.code_grading import grade_code_items
from reward_service.api.code_schemas import CodeRequest, CodeResponse
from reward_service.api.deps import RecorderDep, SandboxDep, SettingsDep, check_batch_size
from reward_service.api.sandbox_admission import admit, resolve_limits
from reward_service.api.schemas import ERROR_RESPONSES, ErrorResponse

router = APIRouter(
    tags=["rewards"],
    responses={
        **ERROR_RESPONSES,
        503: {"model": ErrorResponse, "description": "No code sandbox is running on this server."},
    },
)


@router.post("/code", response_model=CodeResponse)
async def code(
    body: CodeRequest, settings: SettingsDep, sandbox: SandboxDep, record: RecorderDep
) -> Response:
    """One result per item, in order. `status`: `passed` (every test), `failed`, `no_code`
    (-1.0), `error` (does not compile or fails while loading: -1.0) or `infra_error` (our
    sandbox failed: `reward` is null, retry later). `tests` has a status per test: `passed`,
    `failed`, `timeout`, `memory`, `output_limit` or `runtime_error`."""
    check_batch_size(len(body.items), settings)
    limits = resolve_limits(settings, body.limits)
    admit(sandbox, settings)
    results = await grade_code_items(
        sandbox, body.items, limits, max_completion_chars=settings.max_completion_chars
    )
    record("code", len(results), (r.status for r in results))
    record.code_tests(results)
    # serialised as it is: FastAPI would dump and validate every test result again (EvalPlus
    # batches carry a hundred thousand)
    body_json = CodeResponse.model_construct(results=results).model_dump_json()
    return Response(content=body_json, media_type="application/json")
