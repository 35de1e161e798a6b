"""An item's `std` (C, C++) and `edition` (Rust) over real HTTP against real containers: programs
that need an older dialect score 1.0 with it and -1.0 ("does not compile") under the defaults,
a program the defaults serve passes under both, and a dialect the language lacks is a 422 that
lists the choices (tests/sandbox/dialect_programs.py holds the programs). Also: Rust's harness
builds, at a lower opt-level than -O for compile time, keep -O's semantics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reward_service.testing import running_service
from tests.docker_support import family_image, require_images
from tests.sandbox.dialect_programs import (
    C_TYPEDEF_BOOL,
    GCC14_REJECTS,
    OLD_PROGRAMS,
    RANGES_GLOBAL,
    RUST_BARE_TRAIT_OBJECT,
    RUST_GEN_VARIABLE,
    U8_STRING,
    OldProgram,
)
from tests.sandbox.language_programs import fenced

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_images(family_image("python"), family_image("cpp"), family_image("rust"))
    env = {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_LANGUAGES": "c,cpp,rust",
        "REWARD_SANDBOX_POOL_SIZE": "1",
    }
    with running_service(timeout_s=120, **env) as base:
        yield base


def post(url: str, items: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(f"{url}/code", json={"items": items}, timeout=600)


def rewards(url: str, items: list[dict[str, Any]]) -> list[float | None]:
    response = post(url, items)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    return [r["reward"] for r in results]


def item(language: str, source: str, expected: str = "", **dialect: Any) -> dict[str, Any]:
    tests = [{"stdin": "", "stdout": expected}]
    return {"language": language, "completion": fenced(language, source), "tests": tests, **dialect}


def test_an_older_dialect_makes_an_old_program_pass(url: str) -> None:
    items = [
        item("cpp", RANGES_GLOBAL, "5"),
        item("cpp", RANGES_GLOBAL, "5", std="c++17"),
        item("cpp", U8_STRING, "6"),
        item("cpp", U8_STRING, "6", std="C++17"),  # any case
        item("c", C_TYPEDEF_BOOL, "1"),
        item("c", C_TYPEDEF_BOOL, "1", std="c17"),
        item("rust", RUST_BARE_TRAIT_OBJECT, "31"),
        item("rust", RUST_BARE_TRAIT_OBJECT, "31", edition="2018"),
        item("rust", RUST_BARE_TRAIT_OBJECT, "31", edition=2018),  # JSON's number
    ]
    assert rewards(url, items) == [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0]


def test_a_newer_edition_is_applied_too(url: str) -> None:
    # `gen` is a reserved word from edition 2024; 2021 (the default) takes it
    items = [
        item("rust", RUST_GEN_VARIABLE, "537"),
        item("rust", RUST_GEN_VARIABLE, "537", edition="2024"),
    ]
    assert rewards(url, items) == [1.0, -1.0]


@pytest.mark.parametrize("program", OLD_PROGRAMS, ids=lambda p: p.name)
def test_old_programs_under_the_default_and_the_dialect_they_need(
    url: str, program: OldProgram
) -> None:
    field = "edition" if program.language == "rust" else "std"
    items = [item(program.language, program.source, program.expected)]
    if program.needs is not None:
        items.append(
            item(program.language, program.source, program.expected, **{field: program.needs})
        )
    got = rewards(url, items)
    if program.needs is None:
        assert got == [1.0], f"the defaults should serve {program.name}"
    else:
        assert got == [-1.0, 1.0], f"{program.name}: {program.why}"


def test_what_gcc_14_refuses_no_dialect_brings_back(url: str) -> None:
    # GCC 14 made implicit declarations, implicit int and incompatible pointers errors in every
    # mode the service offers; the README says so for old C datasets
    items = [
        item("c", p.source, p.expected, **({"std": std} if std else {}))
        for p in GCC14_REJECTS
        for std in (None, "gnu17", "gnu99")
    ]
    assert rewards(url, items) == [-1.0] * len(items)


def test_harness_tests_take_the_dialect_too(url: str) -> None:
    rust_program = "fn apply(f: &Fn(i32) -> i32) -> i32 { f(20) }\n"
    rust_tests = (
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n"
        "    fn t() { assert_eq!(apply(&|x| x + 1), 21); }\n}\n"
    )
    cpp_program = "#include <bits/stdc++.h>\nusing namespace std;\nint views = 3;\n"
    cpp_tests = "int main() { assert(views * 2 == 6); }\n"

    def harness(language: str, program: str, test: str, **dialect: str) -> dict[str, Any]:
        completion = fenced(language, program)
        return {"language": language, "completion": completion, "test": test, **dialect}

    items = [
        harness("rust", rust_program, rust_tests),
        harness("rust", rust_program, rust_tests, edition="2018"),
        harness("cpp", cpp_program, cpp_tests),
        harness("cpp", cpp_program, cpp_tests, std="gnu++17"),
    ]
    assert rewards(url, items) == [-1.0, 1.0, -1.0, 1.0]


def test_a_rust_harness_build_has_the_semantics_of_o(url: str) -> None:
    # integer overflow wraps and debug_assert! is off, as in the stdin/stdout (-O) build
    program = (
        'fn add(a: i32, b: i32) -> i32 {\n    debug_assert!(a < 0, "debug assertions are on");\n'
        "    a + b\n}\n"
    )
    main_harness = "fn main() {\n    assert_eq!(add(i32::MAX, 1), i32::MIN);\n}\n"
    test_harness = (
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n"
        "    fn wraps() { assert_eq!(add(i32::MAX, 1), i32::MIN); }\n}\n"
    )
    stdio = program + 'fn main() { println!("{}", add(i32::MAX, 1)); }\n'
    items = [
        {"language": "rust", "completion": fenced("rust", program), "test": main_harness},
        {"language": "rust", "completion": fenced("rust", program), "test": test_harness},
        item("rust", stdio, "-2147483648"),
    ]
    assert rewards(url, items) == [1.0, 1.0, 1.0]


def test_a_dialect_without_a_precompiled_header_still_compiles(url: str) -> None:
    # bits/stdc++.h is precompiled for some dialects; g++ parses it for the others
    source = "#include <bits/stdc++.h>\nusing namespace std;\nint main() { cout << gcd(12, 18); }\n"
    items = [item("cpp", source, "6", std=std) for std in ("c++20", "gnu++17", "c++23")]
    assert rewards(url, items) == [1.0, 1.0, 1.0]


def test_an_unknown_or_misplaced_dialect_is_a_422_that_says_what_to_send(url: str) -> None:
    cases = [
        (item("cpp", RANGES_GLOBAL, std="c++98"), "'c++11', 'c++14', 'c++17'"),
        (item("rust", RUST_GEN_VARIABLE, edition="2027"), "'2015', '2018', '2021' or '2024'"),
        (item("cpp", RANGES_GLOBAL, std="c17"), "choose one of c++11, c++14, c++17"),
        (item("rust", RUST_GEN_VARIABLE, std="c++17"), "Rust's is `edition`"),
        (
            {"completion": "```python\nprint(1)\n```", "tests": ["assert 1"], "std": "c17"},
            "`std` applies to C and C++ items, not to python",
        ),
    ]
    for body, says in cases:
        response = post(url, [body])
        assert response.status_code == 422, response.text
        assert says in response.text
