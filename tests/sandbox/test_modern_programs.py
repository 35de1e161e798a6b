"""Correct modern programs (tests/sandbox/modern_programs.py) score 1.0 in all eight languages,
over real HTTP against real containers: current toolchains, current dialects by default, and the
judge conventions (`ONLINE_JUDGE`, a stack as large as the memory limit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reward_service.languages import LANGUAGES
from reward_service.testing import running_service
from tests.docker_support import FAMILIES, family_image, require_images
from tests.sandbox.modern_programs import DEEP_LIMITS, MODERN, deep_items

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CASES = [(language, name) for language, items in MODERN.items() for name in items]
DEEP = deep_items()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_images(*(family_image(family) for family in FAMILIES))
    env = {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_LANGUAGES": ",".join(LANGUAGES),
        "REWARD_SANDBOX_POOL_SIZE": "1",
    }
    with running_service(timeout_s=120, **env) as base:
        yield base


def score(url: str, items: list[dict[str, Any]], **body: Any) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/code", json={"items": items, **body}, timeout=600)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


@pytest.fixture(scope="module")
def modern(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    results = score(url, [MODERN[language][name] for language, name in CASES])
    return dict(zip(CASES, results, strict=True))


@pytest.fixture(scope="module")
def deep(url: str) -> dict[str, dict[str, Any]]:
    results = score(url, list(DEEP.values()), limits=DEEP_LIMITS)
    return dict(zip(DEEP, results, strict=True))


def test_every_language_has_several_modern_programs() -> None:
    assert {language: len(MODERN[language]) >= 3 for language in LANGUAGES} == dict.fromkeys(
        LANGUAGES, True
    )


@pytest.mark.parametrize(("language", "name"), CASES, ids=[f"{a}: {b}" for a, b in CASES])
def test_modern_program_scores_one(
    language: str, name: str, modern: dict[tuple[str, str], dict[str, Any]]
) -> None:
    result = modern[language, name]
    assert (result["status"], result["reward"]) == ("passed", 1.0), result


@pytest.mark.parametrize("language", list(DEEP))
def test_a_dfs_a_million_calls_deep_runs_with_256_mb(
    language: str, deep: dict[str, dict[str, Any]]
) -> None:
    result = deep[language]
    assert (result["status"], result["reward"]) == ("passed", 1.0), result
