"""Every /code language over real HTTP against real containers (a uvicorn process, one warm
container per image family): both test forms, the compare modes, checkers written in every
language, compile errors, /healthz's toolchains, and a missing image costing only its items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.languages import LANGUAGES
from reward_service.testing import running_service
from tests.catalogue import catalogue
from tests.conftest import make_settings
from tests.docker_support import FAMILIES, family_image, require_docker, require_images
from tests.sandbox.language_programs import (
    ADD,
    BROKEN,
    CHECKER,
    EXIT_ZERO,
    HARNESS,
    SUM,
    WRONG_ADD,
    fenced,
    harness_item,
    stdio_item,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IMAGES = [family_image(f) for f in FAMILIES]
COMPILED = [language for language in LANGUAGES if language != "python"]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_images(*IMAGES)
    env = {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_LANGUAGES": ",".join(LANGUAGES),
        "REWARD_SANDBOX_POOL_SIZE": "1",
    }
    with running_service(timeout_s=120, **env) as base:
        yield base


def score(url: str, items: list[dict], **body: Any) -> list[dict]:
    response = httpx.post(f"{url}/code", json={"items": items, **body}, timeout=300)
    assert response.status_code == 200, response.text
    results: list[dict] = response.json()["results"]
    return results


def test_healthz_names_each_language_toolchain(url: str) -> None:
    languages = httpx.get(f"{url}/healthz").json()["backends"]["code"]["languages"]
    assert {name for name, health in languages.items() if health["ready"]} == set(LANGUAGES)
    for language in LANGUAGES:  # the versions the catalogue pins (Python's image says its own)
        pinned = catalogue.toolchain(language)
        reported = languages[language]["toolchain"]
        assert reported == pinned or reported.startswith((f"{pinned}.", f"{pinned} ")), reported


@pytest.mark.parametrize("language", LANGUAGES)
def test_stdio_form_with_every_compare_mode(url: str, language: str) -> None:
    source = SUM[language]
    pairs = [("1 2", "3\n1.000000000"), ("5 5\n", "10\n3.333333333\n"), ("1 1", "3\n1")]
    lines = stdio_item(language, source, pairs)
    tokens = stdio_item(language, source, [("1 2", "3 1.000000000")], compare="tokens")
    strict_lines = stdio_item(language, source, [("1 2", "3 1.000000000")])
    close = {"compare": "float", "abs_tol": 1e-6}
    floats = stdio_item(language, source, [("1 2", "3 1.0000004")], **close)
    too_far = stdio_item(language, source, [("1 2", "3 1.00001")], **close)
    broken = stdio_item(language, BROKEN[language], [("1 2", "3")])
    got = score(url, [lines, tokens, strict_lines, floats, too_far, broken])
    assert [r["reward"] for r in got] == [2 / 3, 1.0, 0.0, 1.0, 0.0, -1.0], got
    assert [t["status"] for t in got[0]["tests"]] == ["passed", "passed", "failed"]
    assert all(t["judged_in"] == "outside" for t in got[0]["tests"])
    assert got[5]["status"] == "error" and got[5]["detail"].startswith("program does not compile")


@pytest.mark.parametrize("language", COMPILED)
def test_harness_form(url: str, language: str) -> None:
    harness = HARNESS[language]
    items = [
        harness_item(language, ADD[language], harness),
        harness_item(language, WRONG_ADD[language], harness),
        harness_item(language, EXIT_ZERO[language], harness),
        harness_item(language, BROKEN[language], harness),
    ]
    honest, wrong, exit_zero, broken = score(url, items)
    assert (honest["status"], honest["reward"]) == ("passed", 1.0), honest
    assert honest["tests"][0]["judged_in"] == "inside"
    assert (wrong["status"], wrong["reward"]) == ("failed", 0.0), wrong
    assert exit_zero["reward"] <= 0.0, exit_zero
    assert (broken["status"], broken["reward"]) == ("error", -1.0), broken


MULTIPL_E = {
    # the harness completes what the program started: the package clause and imports are the
    # program's (Go), the harness is a `fn main` (Rust), or closes the program's class (Java)
    "go": (
        'package add_test\n\nimport (\n\t"testing"\n)\n\nfunc add(x int, y int) int {\n'
        "\treturn x + y\n}\n",
        'func TestAdd(t *testing.T) {\n\tif add(1, 2) != 3 {\n\t\tt.Errorf("add(1, 2)")\n\t}\n}\n',
    ),
    "rust": (
        "fn add(x: i64, y: i64) -> i64 {\n    x + y\n}\n",
        "fn main() {\n    let candidate = add;\n    assert_eq!(candidate(1, 2), 3);\n}\n",
    ),
    "java": (
        "import java.util.*;\n\nclass Problem {\n    public static long add(long x, long y) {\n"
        "        return x + y;\n    }",
        "\n    public static void main(String[] args) {\n    assert(add((1l), (2l)) == (3l));\n"
        "    }\n\n}\n",
    ),
    "javascript": (
        "function add(x, y) {\n  return x + y;\n}\n",
        "const assert = require('node:assert');\n\nfunction test() {\n  let candidate = add;\n"
        "  assert.deepEqual(candidate(1, 2), 3);\n}\n\ntest();\n",
    ),
}


@pytest.mark.parametrize("language", list(MULTIPL_E))
def test_multipl_e_style_harnesses(url: str, language: str) -> None:
    program, harness = MULTIPL_E[language]
    wrong = program.replace("x + y", "x - y")
    passed, failed = score(
        url, [harness_item(language, program, harness), harness_item(language, wrong, harness)]
    )
    assert (passed["reward"], failed["reward"]) == (1.0, 0.0), (passed, failed)


def test_java_assert_statements_are_checked_and_console_assert_fails_a_script(url: str) -> None:
    program, harness = MULTIPL_E["java"]
    lying = harness_item("java", program.replace("x + y", "x * y"), harness)
    console = harness_item("javascript", ADD["javascript"], "console.assert(add(1, 1) === 3);\n")
    assert [r["reward"] for r in score(url, [lying, console])] == [0.0, 0.0]


@pytest.mark.parametrize("checker_language", LANGUAGES)
def test_checkers_in_every_language(url: str, checker_language: str) -> None:
    """A checker in each language judges a Python program that should double its input: one
    test right in a way plain comparison would reject, one wrong."""
    program = "n = int(input())\nprint(2 * n + (n == 5), 'and some words')\n"
    checker = {"language": checker_language, "source": CHECKER[checker_language]}
    item = {
        "completion": fenced("python", program),
        "tests": [{"stdin": "4", "stdout": "8"}, {"stdin": "5", "stdout": "9"}],
        "checker": checker,
    }
    (result,) = score(url, [item])
    assert [t["status"] for t in result["tests"]] == ["passed", "failed"], result
    assert (result["reward"], [t["score"] for t in result["tests"]]) == (0.5, [1.0, 0.0])


def test_partial_credit_and_broken_checkers(url: str) -> None:
    program = "print(input())\n"
    tests = [{"stdin": "0.25", "stdout": ""}, {"stdin": "1", "stdout": ""}]
    scores = {"language": "python", "source": "import sys\nprint(open(sys.argv[2]).read())\n"}
    fails = {"language": "c", "source": "int main(void) { return 3; }\n"}
    uncompiled = {"language": "rust", "source": "fn main( {"}
    items = [
        {"completion": fenced("python", program), "tests": tests, "checker": c}
        for c in (scores, fails, uncompiled)
    ]
    partial, failed, uncompiled_result = score(url, items)
    assert partial["reward"] == pytest.approx(0.625)  # (0.25 + 1) / 2
    assert [t["score"] for t in partial["tests"]] == [0.25, 1.0]
    for broken in (failed, uncompiled_result):
        assert (broken["status"], broken["reward"], broken["tests"]) == ("error", None, [])
    assert failed["detail"] == "the checker failed: exit code 3"
    assert uncompiled_result["detail"].startswith("the checker does not compile: error")


def test_identical_jobs_in_a_batch_compile_and_run_once(url: str) -> None:
    item = harness_item("cpp", ADD["cpp"], HARNESS["cpp"])
    results = score(url, [item] * 6)
    assert [r["reward"] for r in results] == [1.0] * 6


def test_a_language_without_its_image_costs_only_its_items() -> None:
    require_docker()
    settings = make_settings(
        sandbox_backend="docker",
        sandbox_pool_size=1,
        sandbox_languages="python,rust",
        sandbox_images={"rust": "reward-sandbox-missing:none"},
    )
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()["backends"]["code"]
        assert health["ready"] is True
        rust = health["languages"]["rust"]
        assert not rust["ready"] and "scripts/build_images.sh rust" in rust["reason"]
        assert "REWARD_SANDBOX_LANGUAGES" in health["languages"]["java"]["reason"]
        items = [
            stdio_item("python", SUM["python"], [("1 2", "3\n1.000000000")]),
            stdio_item("rust", SUM["rust"], [("1 2", "3\n1.000000000")]),
            stdio_item("java", SUM["java"], [("1 2", "3\n1.000000000")]),
        ]
        results = client.post("/code", json={"items": items}).json()["results"]
        assert [(r["status"], r["reward"]) for r in results] == [
            ("passed", 1.0),
            ("infra_error", None),
            ("infra_error", None),
        ]
        assert "reward-sandbox-missing:none" in results[1]["detail"]
