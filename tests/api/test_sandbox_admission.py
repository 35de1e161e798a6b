"""Limits a batch asks for are clamped to the server's maxima; the queue bound (429) is tested
through the routes (test_code_router, test_score_router)."""

from __future__ import annotations

from reward_service.api.sandbox_admission import resolve_limits
from reward_service.api.schemas import CodeLimits
from tests.conftest import make_settings


def test_limits_are_clamped_to_the_server_maxima() -> None:
    settings = make_settings(sandbox_max_timeout_s=10, sandbox_max_memory_mb=512)
    limits = resolve_limits(settings, CodeLimits(timeout_s=1000, memory_mb=100_000))
    assert (limits.timeout_s, limits.memory_mb) == (10, 512)
    defaults = resolve_limits(settings, None)
    assert (defaults.timeout_s, defaults.memory_mb) == (5.0, 256)


def test_limit_bounds_are_the_sandbox_limits_bounds() -> None:
    import pytest
    from pydantic import ValidationError

    from reward_service.sandbox.base import MIN_MEMORY_MB

    for bad in ({"memory_mb": MIN_MEMORY_MB - 1}, {"timeout_s": 0}):
        with pytest.raises(ValidationError):
            CodeLimits.model_validate(bad)
    with pytest.raises(ValidationError):
        make_settings(sandbox_memory_mb=MIN_MEMORY_MB - 1)
