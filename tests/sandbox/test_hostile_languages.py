"""Hostile programs in every compiled language through the whole service (real containers): each
is contained and scores <= 0, the honest item beside it still scores 1.0, and every pool is
whole afterwards. The attacks are in hostile_programs.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.languages import LANGUAGES
from tests.conftest import make_settings
from tests.docker_support import family_image, require_images
from tests.sandbox.hostile_programs import CANARY, honest_twins, hostile_programs
from tests.sandbox.language_programs import SUM, stdio_item

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HOSTILE = hostile_programs()
TWINS = honest_twins()
CASES = [(language, name) for language, attacks in HOSTILE.items() for name in attacks]
POOL_SIZE = 2
FAMILIES = ("cpp", "java", "node", "go", "rust")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    require_images(*(family_image(family) for family in FAMILIES))
    os.environ["REWARD_TEST_CANARY"] = CANARY  # in the service's environment, never the sandbox's
    try:
        settings = make_settings(
            sandbox_backend="docker",
            sandbox_pool_size=POOL_SIZE,
            sandbox_languages=",".join(language for language in LANGUAGES if language != "python"),
        )
        with TestClient(create_app(settings)) as test_client:
            yield test_client
    finally:
        del os.environ["REWARD_TEST_CANARY"]


def honest(language: str, name: str, k: int) -> dict[str, Any]:
    """An honest item of its own (distinct, so the sandbox really runs every one): the attack's
    own test with a correct program where it has one, else a stdin/stdout program."""
    marker = "#" if language == "python" else "//"
    if (language, name) in TWINS:
        head, tail = TWINS[language, name]["completion"].rsplit("\n```", 1)
        return {**TWINS[language, name], "completion": f"{head}\n{marker} {k}\n```{tail}"}
    source = f"{SUM[language]}\n{marker} {k}\n"
    return stdio_item(language, source, [(f"{k} 2", f"{k + 2}\n{(k + 2) / 3:.9f}")])


@pytest.fixture(scope="module")
def results(client: TestClient) -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """Every attack in one /code batch, each beside an honest item of its language: (language,
    name) -> (its result, its neighbour's). One batch for speed; each case is its own test."""
    items = []
    for k, (language, name) in enumerate(CASES):
        items += [HOSTILE[language][name], honest(language, name, k)]
    # 5 s, not 2: a fork bomb's kernel work (process teardown in kworkers) falls outside its
    # container's CPU quota, and on 2 cores an honest Node neighbour once needed more than 2 s
    body = {"items": items, "limits": {"timeout_s": 5, "memory_mb": 256}}
    response = client.post("/code", json=body)
    assert response.status_code == 200, response.text
    got = response.json()["results"]
    return {case: (got[2 * i], got[2 * i + 1]) for i, case in enumerate(CASES)}


def test_every_language_has_at_least_eight_attacks() -> None:
    assert {language: len(attacks) >= 8 for language, attacks in HOSTILE.items()} == {
        language: True for language in LANGUAGES if language != "python"
    }


@pytest.mark.parametrize(("language", "name"), CASES, ids=[f"{a}: {b}" for a, b in CASES])
def test_attack_is_contained_and_its_neighbour_scores_right(
    language: str, name: str, results: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    hostile, neighbour = results[language, name]
    assert hostile["status"] in ("failed", "error"), hostile
    assert hostile["reward"] is not None and hostile["reward"] <= 0.0, hostile
    assert all(t["status"] != "passed" for t in hostile["tests"]), hostile
    # the tests' statuses and details in the message: pytest would cut the dict short
    assert (neighbour["status"], neighbour["reward"]) == ("passed", 1.0), neighbour["tests"]


def test_every_pool_is_whole_afterwards(
    client: TestClient, results: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    assert len(results) == len(CASES)
    health = client.get("/healthz").json()["backends"]["code"]
    assert health["ready"] and health["pool_size"] == POOL_SIZE * len(FAMILIES), health
    assert all(health["languages"][lang]["ready"] for lang in LANGUAGES if lang != "python")


def test_bombs_end_with_their_own_status(
    results: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    for language in HOSTILE:
        status = {
            name: result["tests"][0]["status"]
            for (lang, name), (result, _) in results.items()
            if lang == language
        }
        assert status["infinite loop"] == "timeout", (language, status)
        assert status["huge output"] == "output_limit", (language, status)
        assert status["memory bomb"] in ("memory", "runtime_error", "timeout"), (language, status)
