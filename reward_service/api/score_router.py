"""POST /score: several reward components per item, combined as a weighted sum."""

from __future__ import annotations

from fastapi import APIRouter

from reward_service.api.code_grading import grade_code_items
from reward_service.api.code_schemas import CodeItem, CodeResult
from reward_service.api.deps import (
    LatexPoolDep,
    OptionalSandboxDep,
    RecorderDep,
    ServicesDep,
    SettingsDep,
    check_batch_size,
)
from reward_service.api.errors import SandboxNotRunning
from reward_service.api.grading import grade_format_items, grade_math_items
from reward_service.api.sandbox_admission import admit, resolve_limits
from reward_service.api.schemas import (
    ERROR_RESPONSES,
    FormatResult,
    MathResult,
    ScoreComponents,
    ScoreItem,
    ScoreRequest,
    ScoreResponse,
    ScoreResult,
)
from reward_service.in_order import Refused
from reward_service.sandbox.base import SandboxBackend
from reward_service.settings import Settings

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


def _code_part(item: ScoreItem) -> CodeItem | Refused[CodeResult]:
    """An item's code part, or why it has none (an item error, not a failed batch)."""
    part = item.code_item()
    if isinstance(part, str):
        why = f"item has no usable tests for the code component: {part}"
        return Refused(CodeResult.unusable(why))
    return part


async def code_component(
    body: ScoreRequest, settings: Settings, sandbox: SandboxBackend
) -> list[CodeResult]:
    return await grade_code_items(
        sandbox,
        [_code_part(item) for item in body.items],
        resolve_limits(settings, body.limits),
        max_completion_chars=settings.max_completion_chars,
    )


def combine(weights: dict[str, float], parts: dict[str, float | None]) -> float | None:
    """Weighted sum; None when any component with a non-zero weight has no reward.

    >>> combine({"math": 1.0, "format": 0.5}, {"math": -0.5, "format": 0.2})
    -0.4
    >>> combine({"math": 1.0, "code": 0.0}, {"math": 1.0, "code": None})  # weight 0: ignored
    1.0
    >>> combine({"math": 1.0, "code": 1.0}, {"math": 1.0, "code": None}) is None
    True
    """
    total = 0.0
    for name, weight in weights.items():
        if weight == 0:
            continue
        value = parts.get(name)
        if value is None:
            return None
        total += weight * value
    return total


@router.post("/score", response_model=ScoreResponse)
async def score(
    body: ScoreRequest,
    services: ServicesDep,
    settings: SettingsDep,
    latex_pool: LatexPoolDep,
    sandbox: OptionalSandboxDep,
    record: RecorderDep,
) -> ScoreResponse:
    """Computes each requested component for every item; `reward` is their weighted sum."""
    check_batch_size(len(body.items), settings)
    weights = body.components.active()
    if "code" in weights and sandbox is not None:
        admit(sandbox, settings)  # the same bound as /code, before any work: a 429 costs nothing
    n = len(body.items)
    maths: list[MathResult | None] = [None] * n
    formats: list[FormatResult | None] = [None] * n
    codes: list[CodeResult | None] = [None] * n
    if "math" in weights:
        maths = list(
            await grade_math_items(body.items, body, settings.max_completion_chars, latex_pool)
        )
    if "format" in weights:
        formats = list(grade_format_items(body.items, body))
    if "code" in weights and sandbox is not None:
        codes = list(await code_component(body, settings, sandbox))
    elif "code" in weights:
        # No sandbox is our problem, not the policy's: null rewards, and the batch still scores.
        detail = SandboxNotRunning(services.sandbox_down).detail
        codes = [CodeResult(reward=None, status="infra_error", detail=detail) for _ in range(n)]
    results = []
    statuses: list[str] = []
    for m, f, c in zip(maths, formats, codes, strict=True):
        parts = {"math": m, "format": f, "code": c}
        rewards = {name: part.reward if part else None for name, part in parts.items()}
        results.append(
            ScoreResult.model_construct(
                reward=combine(weights, rewards),
                components=ScoreComponents.model_construct(math=m, format=f, code=c),
            )
        )
        statuses.extend(f"{name}:{part.status}" for name, part in parts.items() if part)
    record("score", n, statuses)
    record.code_tests(codes)
    return ScoreResponse.model_construct(results=results)
