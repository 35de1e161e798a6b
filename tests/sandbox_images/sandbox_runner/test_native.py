"""The compiled-language runner's pure parts without Docker: how a program and its harness
become sources (and the guards between them), and how a run's exit, output and verdict token
become a test result or a checker's verdict."""

from __future__ import annotations

import os
import signal

import pytest
from sandbox_runner.native import sources
from sandbox_runner.native.job import checker_verdict, harness_result, stdio_result
from sandbox_runner.native.js_harness import js_with_harness
from sandbox_runner.outcome import Watched as Ran

TOKEN = b"5f0c2b8e"


def exited(code: int, **seen: object) -> Ran:
    return Ran(wait_status=code << 8, **seen)  # type: ignore[arg-type]


def killed(sig: int, **seen: object) -> Ran:
    return Ran(wait_status=sig, **seen)  # type: ignore[arg-type]


# --- sources -----------------------------------------------------------------------------


def test_c_guard_undefines_the_program_macros_and_restores_assert() -> None:
    text = sources.c_harness("#define assert(x) 1\\", "int main() { assert(0); }", ["assert"], True)
    program, harness = text.split("/* reward-sandbox: the program's macros end here */")
    assert program.endswith("\\\n\n")  # a trailing backslash continues onto a blank line only
    assert harness.index("#undef assert") < harness.index("#undef NDEBUG")
    assert harness.index("#undef NDEBUG") < harness.index("#include <cassert>")
    assert harness.rstrip().endswith("int main() { assert(0); }")
    assert "#include <assert.h>" in sources.c_harness("", "", [], cpp=False)


def test_every_macro_the_program_may_define_is_named_whatever_hides_it() -> None:
    program = "\n".join(
        [
            '#line 1 "/usr/include/stdio.h"',  # a line marker would hide these from cpp -dD
            '# 1 "/usr/include/x.h" 1 3 4',
            "/* a comment */ # /**/ define assert(x) ((void)0)",
            "#define candidate(...) 1) || (0",
            "#undef NDEBUG",
            "#def\\\nine __assert_fail(...) ((void)0)",
        ]
    )
    named = sources.macros_named(program)
    assert named == ["assert", "candidate", "NDEBUG", "__assert_fail"]


@pytest.mark.parametrize(
    ("program", "refused"),
    [
        ('#![no_main]\n#[no_mangle] pub extern "C" fn main() -> i32 { 0 }', "no_main"),
        ('#[export_name = "main"] pub extern "C" fn f() -> i32 { 0 }', "export_name"),
        ("#![no_std]", "no_std"),
        ("fn add(a: i32, b: i32) -> i32 { a + b }", None),
    ],
)
def test_rust_entry_point_attributes_are_refused_with_a_harness(
    program: str, refused: str | None
) -> None:
    why = sources.rust_refusal(program)
    assert (why is None) if refused is None else (refused in (why or ""))


def test_rust_harness_calls_the_standard_macros_by_path() -> None:
    harness = "assert!(a); assert_eq!(f(), 1); my_assert!(x); std::assert_ne!(a, b); s.panic!()"
    rewritten = sources.rust_harness(harness)
    assert rewritten.startswith("::std::assert!(a); ::std::assert_eq!(f(), 1); my_assert!(x);")
    assert "std::assert_ne!" in rewritten and "::std::std::" not in rewritten
    assert sources.rust_is_test_harness("#[cfg(test)]\nmod t { #[test] fn a() {} }")
    assert not sources.rust_is_test_harness("fn main() { assert!(true); }")


def test_java_source_is_named_after_its_public_class_and_keeps_imports_first() -> None:
    name, text = sources.java_source(
        "package p;\nclass Solution { }",
        "import java.util.*;\nimport static java.lang.Math.abs;\npublic class Main {}",
    )
    assert name == "Main.java"
    assert text.startswith("import java.util.*;\nimport static java.lang.Math.abs;\n")
    assert "package" not in text
    assert sources.java_source("class A {}", None)[0] == "Main.java"


def test_java_program_classes_may_not_hide_what_the_harness_uses() -> None:
    packages = {"java.lang": frozenset({"Math", "String"}), "java.util": frozenset({"Arrays"})}
    harness = "import java.util.*;\npublic class Main { Arrays.equals(a, b); Math.abs(1); }"
    found = sources.java_shadowed_names(["Arrays", "Math", "Main", "Helper"], "", harness, packages)
    assert found == ["Arrays", "Math"]
    # a name the harness never uses is the program's to take
    assert sources.java_shadowed_names(["String"], "", harness, packages) == []


def test_go_harness_with_its_own_package_is_a_test_file_beside_the_program() -> None:
    files = sources.go_test_files("func F() int { return 1 }", "// tests\npackage main\n")
    assert files["prog.go"].startswith("package main\n")
    assert sources.go_package_of('/* x */\npackage foo\nimport "fmt"') == "foo"
    assert sources.go_test_names("func TestA(t *testing.T) {}\nfunc TestB (t *testing.T){}") == [
        "TestA",
        "TestB",
    ]


def test_a_js_harness_closes_the_file_as_one_function_of_the_real_builtins_it_names() -> None:
    harness = "const assert = require('node:assert');\nconsole.assert(JSON.stringify(f()) === '1');"
    built = js_with_harness("const console = {};\nfunction f() {}", harness, "S", False)
    program, wrapped = built.text.split("\n;\n")
    assert program == "const console = {};\nfunction f() {}"  # the program's text, untouched
    assert wrapped.startswith("S(async function (require, JSON, console) {\n{\n")
    assert wrapped.endswith(f"{harness}\n}}\n}});\n")  # the file ends with the start call
    assert (built.params, built.modules) == (["require", "JSON", "console"], ["node:assert"])
    main = js_with_harness("", "if (require.main === module) test();", "S", False)
    assert main.params == ["require", "module"]


def test_a_ts_harness_keeps_its_types_and_its_top_level_declarations() -> None:
    harness = (
        "declare var require: any;\nimport assert from 'node:assert';\n"
        "import { type T, ok } from 'assert';\nimport 'x';\nassert(Math.max(1, 2) === 2);\n"
    )
    text = js_with_harness("", harness, "S", True).text
    top, body = text.split("S(async function")
    assert top.splitlines()[2:] == [
        "declare var require: any;",
        "import type { T } from 'assert';",
        "export {};",  # a harness that imported keeps the file a module
        "declare function S(harness: (...args: any[]) => Promise<unknown>): void;",
    ]
    assert body.startswith(" (require: any, Math: typeof globalThis.Math) {")
    assert "const assert: typeof import('node:assert') = require('node:assert');" in body
    assert "const ok: (typeof import('assert'))[\"ok\"] = require('assert').ok;" in body
    assert "require('x');" in body and "import " not in body and "declare" not in body


# --- verdicts ----------------------------------------------------------------------------


def test_a_harness_passes_only_with_its_token_and_exit_code_zero() -> None:
    assert harness_result(exited(0, verdict=TOKEN), TOKEN)["status"] == "passed"
    early = harness_result(exited(0, stdout=b"All tests passed\n"), TOKEN)
    assert early["status"] == "failed" and "did not run to completion" in early["detail"]
    forged = harness_result(exited(0, verdict=b"0000"), TOKEN)
    assert forged["status"] == "failed"
    failed_after = harness_result(exited(1, verdict=TOKEN), TOKEN)  # a late failure still fails
    assert failed_after["status"] == "failed"
    assertion = killed(signal.SIGABRT, stderr=b"prog: Assertion `f()' failed.\n")
    aborted = harness_result(assertion, TOKEN)
    assert aborted["status"] == "failed" and "Assertion" in aborted["detail"]


@pytest.mark.parametrize(
    ("ran", "status"),
    [
        (Ran(timed_out=True, wait_status=signal.SIGKILL), "timeout"),
        (Ran(output_exceeded=True, wait_status=signal.SIGKILL), "output_limit"),
        (exited(1, stderr=b"Exception: java.lang.OutOfMemoryError: Java heap space"), "memory"),
        (killed(signal.SIGABRT, stderr=b"terminate called after std::bad_alloc"), "memory"),
        (killed(signal.SIGSEGV), "runtime_error"),
        (exited(3), "runtime_error"),
    ],
)
def test_how_a_stdio_run_ended_is_its_status(ran: Ran, status: str) -> None:
    assert stdio_result({"stdin": "", "stdout": ""}, ran)["status"] == status


def test_stdio_output_is_compared_or_kept_for_the_checker() -> None:
    test = {"stdin": "", "stdout": "1 2"}
    assert stdio_result(test, exited(0, stdout=b"1 2\n"))["status"] == "passed"
    assert stdio_result(test, exited(0, stdout=b"1  2"))["status"] == "failed"
    tokens = {**test, "compare": {"mode": "tokens"}}
    assert stdio_result(tokens, exited(0, stdout=b"1\n2"))["status"] == "passed"
    kept = stdio_result({**test, "compare": {"mode": "checker"}}, exited(0, stdout=b"anything"))
    assert kept == {"status": "passed", "stdout": "anything"}


@pytest.mark.parametrize(
    ("ran", "expected"),
    [
        (exited(0), {"status": "passed", "score": 1.0}),
        (exited(0, stdout=b"debug\n0.25\n"), {"status": "failed", "score": 0.25}),
        (exited(0, stdout=b"1.0"), {"status": "passed", "score": 1.0}),
        (exited(1, stderr=b"wrong answer 3 != 4"), {"status": "failed", "score": 0.0}),
        (exited(2), {"status": "failed", "score": 0.0}),
    ],
)
def test_checker_verdicts(ran: Ran, expected: dict) -> None:
    verdict = checker_verdict(ran)
    assert {k: verdict[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("ran", "why"),
    [
        (exited(3, stderr=b"FAIL: bad answer file"), "FAIL"),
        (exited(1, stderr=b"Traceback (most recent call last):\n  ...\nIndexError"), "Traceback"),
        (exited(1, stderr=b'Exception in thread "main" java.lang.Error'), "Exception"),
        (exited(0, stdout=b"1.5"), "not a score"),
        (exited(0, stdout=b"nan"), "not a score"),
        (exited(0, stdout=b"ok"), "not a score"),
        (killed(signal.SIGSEGV), "signal"),
        (Ran(timed_out=True, wait_status=signal.SIGKILL), "time limit"),
    ],
)
def test_a_broken_checker_is_no_verdict(ran: Ran, why: str) -> None:
    verdict = checker_verdict(ran)
    assert verdict["status"] not in ("passed", "failed")
    assert verdict["detail"].startswith("the checker failed") and why in verdict["detail"]


def test_exit_code_is_none_for_a_killed_or_cut_off_run() -> None:
    assert exited(0).exit_code == 0
    assert killed(signal.SIGKILL).exit_code is None
    assert Ran(wait_status=0, timed_out=True).exit_code is None
    assert os.WIFEXITED(exited(7).wait_status or 0)
