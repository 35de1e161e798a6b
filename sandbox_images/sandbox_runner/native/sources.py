"""Pure text work on a program and its test harness, per language: how the two become source
files, and the guards that keep a program from rewriting the harness it is appended to.

The harness is the dataset's (trusted); the program is the policy's. Where the two share one
compilation unit, the program comes first and could redefine what the harness relies on, so:
- C and C++: every macro the program defines is undefined before the harness, and <assert.h> is
  included again with NDEBUG undefined (`#define assert(x)` and `#define NDEBUG` do nothing);
- Rust: the harness's assertion macros are called by their full path (`::std::assert_eq!`), so a
  program's `macro_rules! assert_eq` is never the one used; attributes that replace or rename the
  entry point or place code before it (`#![no_main]`, `#[no_mangle]`, `#[export_name]`,
  `#[link_section]`) are refused;
- Java: a program class may not take the name of a class the harness would otherwise get from
  java.lang or a package it imports whole (`class Objects`, `class Math`);
- Go and JavaScript need no rewriting (Go's imports are per file; the harness's node:assert is
  frozen before the program loads, see support/harness.js).

>>> harness_imports_hoisted("import java.util.*;\\npublic class Main {}\\n")
(['import java.util.*;'], 'public class Main {}\\n')
>>> rust_harness("assert_eq!(f(1), 2); debug_assert!(x);")
'::std::assert_eq!(f(1), 2); ::std::debug_assert!(x);'
>>> go_test_names("func TestAdd(t *testing.T) {}\\nfunc Testy(t *testing.T) {}")
['TestAdd']
"""

from __future__ import annotations

import re

# --- C and C++ ---------------------------------------------------------------------------

# a directive as `gcc -E -dD -fdirectives-only` prints it: comments may still precede the `#`
MACRO_DIRECTIVE = re.compile(
    r"^(?:\s|/\*.*?\*/)*#(?:\s|/\*.*?\*/)*(?:define|undef)\s+([A-Za-z_]\w*)", re.M
)
LINE_MARKER = re.compile(r'^# \d+ "((?:[^"\\]|\\.)*)"')


def may_define_macros(program: str) -> bool:
    """Whether a #define or #undef could be in `program`: the words must be spelt out once
    line continuations are joined (`#` may be `%:`, but `define` has no other spelling).

    >>> may_define_macros("int main() { return 0; }")
    False
    >>> may_define_macros("#de\\\\\\nfine X 1")
    True
    """
    joined = program.replace("\\\r\n", "").replace("\\\n", "")
    return "define" in joined or "undef" in joined


def macros_defined_in(preprocessed: str, source_name: str) -> list[str]:
    """Names the program's own lines #define or #undef, from the preprocessor's `-dD` output
    (line markers say which file each line came from; system headers' macros are theirs).

    >>> out = '# 1 "prog.c"\\n#define assert(x) 1\\n# 1 "/usr/include/x.h" 1\\n#define EOF (-1)\\n'
    >>> macros_defined_in(out + '# 3 "prog.c" 2\\n/**/ #undef INT_MAX\\n', "prog.c")
    ['assert', 'INT_MAX']
    """
    names: list[str] = []
    ours = False
    for line in preprocessed.splitlines():
        marker = LINE_MARKER.match(line)
        if marker:
            ours = marker.group(1) == source_name
            continue
        if ours:
            found = MACRO_DIRECTIVE.match(line)
            if found and found.group(1) not in names:
                names.append(found.group(1))
    return names


def c_harness(program: str, harness: str, macros: list[str], cpp: bool) -> str:
    """Program, then a guard that resets the program's macros and assert, then the harness."""
    guard = ["", "/* reward-sandbox: the program's macros end here */"]
    guard += [f"#undef {name}" for name in macros]
    guard += ["#undef NDEBUG", "#include <cassert>" if cpp else "#include <assert.h>", ""]
    # the leading newline ends a program whose last line continues with a backslash
    return f"{program}\n" + "\n".join(guard) + f"\n{harness}\n"


# --- Rust --------------------------------------------------------------------------------

STD_MACROS = (
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "unreachable",
    "unimplemented",
    "todo",
    "matches",
)
RUST_MACRO_CALL = re.compile(r"(?<![\w:$])(" + "|".join(STD_MACROS) + r")!")
# entry points, symbols the harness wrapper relies on, and code run before main (.preinit_array)
RUST_ENTRY_ATTRIBUTES = re.compile(
    r"#!?\[\s*(no_main|no_mangle|export_name|no_std|link_section|link_name)\b"
)


def rust_harness(harness: str) -> str:
    """The harness with its standard assertion macros called by their full path."""
    return RUST_MACRO_CALL.sub(r"::std::\1!", harness)


def rust_refusal(program: str) -> str | None:
    """Why a program may not be tested with a harness appended, or None.

    >>> rust_refusal('#[no_mangle] pub extern "C" fn main() -> i32 { 0 }')
    'the program uses #[no_mangle], which a program tested by a harness may not use'
    """
    found = RUST_ENTRY_ATTRIBUTES.search(program)
    if found is None:
        return None
    return f"the program uses #[{found.group(1)}], which a program tested by a harness may not use"


def rust_is_test_harness(harness: str) -> bool:
    """`#[test]` functions (HumanEval-X) are run by the test harness; otherwise the harness
    is a `fn main` with asserts (MultiPL-E)."""
    return re.search(r"#\[\s*test\s*\]", harness) is not None


# --- Java --------------------------------------------------------------------------------

JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?[\w.]+(?:\.\*)?\s*;\s*$")
JAVA_PACKAGE = re.compile(r"^\s*package\s+[\w.]+\s*;\s*$", re.M)
JAVA_PUBLIC_TYPE = re.compile(
    r"^\s*public\s+(?:(?:final|abstract|sealed|strictfp)\s+)*(?:class|interface|enum|record)\s+(\w+)",
    re.M,
)
JAVA_TYPE = re.compile(r"\b(?:class|interface|enum|record)\s+([A-Za-z_]\w*)")
JAVA_STAR_IMPORT = re.compile(r"^\s*import\s+([\w.]+)\.\*\s*;", re.M)


def harness_imports_hoisted(harness: str) -> tuple[list[str], str]:
    """The harness's leading import lines (they must open the file), and the rest."""
    lines = harness.splitlines(keepends=True)
    imports: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if JAVA_IMPORT.match(line):
            imports.append(line.strip())
        elif line.strip() and not line.strip().startswith("//"):
            break
        index += 1
    return imports, "".join(lines[index:])


def java_source(program: str, harness: str | None) -> tuple[str, str]:
    """(file name, text): the program (and harness) without package clauses, the harness's
    imports first, in a file named after the public class when there is one.

    >>> java_source("class Solution {}", "public class Main { }")[0]
    'Main.java'
    >>> java_source("import java.util.*;\\npublic class Sol { }", None)
    ('Sol.java', 'import java.util.*;\\npublic class Sol { }\\n')
    """
    program = JAVA_PACKAGE.sub("", program)
    text = program
    if harness is not None:
        imports, body = harness_imports_hoisted(JAVA_PACKAGE.sub("", harness))
        head = "\n".join(imports) + "\n" if imports else ""
        text = f"{head}{program}\n{body}"
    public = JAVA_PUBLIC_TYPE.search(text)
    name = public.group(1) if public else "Main"
    return f"{name}.java", text.rstrip("\n") + "\n"


def java_shadowed_names(
    classes: list[str], program: str, harness: str, packages: dict[str, frozenset[str]]
) -> list[str]:
    """Top-level classes of the program (`classes`: the compiled ones, less the harness's own)
    that hide a class the harness uses by name from java.lang or from a package the harness or
    the program imports whole (`packages`: package -> its class names).

    >>> java_shadowed_names(["Objects", "Main"], "class Objects {}",
    ...     "import java.util.*;\\npublic class Main { Objects.equals(a, b); }",
    ...     {"java.util": frozenset({"Objects"})})
    ['Objects']
    """
    harness_types = set(JAVA_TYPE.findall(harness))
    imported = {"java.lang", *JAVA_STAR_IMPORT.findall(harness), *JAVA_STAR_IMPORT.findall(program)}
    visible = set().union(*(packages.get(name, frozenset()) for name in imported))
    return sorted(
        name
        for name in set(classes) - harness_types
        if name in visible and re.search(rf"\b{re.escape(name)}\b", harness)
    )


# --- Go ----------------------------------------------------------------------------------

GO_PACKAGE = re.compile(r"^\s*package\s+(\w+)", re.M)
GO_TEST_FUNC = re.compile(r"^func\s+(Test(?![a-z])\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)


def go_package_of(source: str) -> str | None:
    """The package clause's name, if the file has one before any declaration."""
    stripped = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.S)
    found = GO_PACKAGE.match(stripped)
    return found.group(1) if found else None


def go_test_files(program: str, harness: str) -> dict[str, str]:
    """HumanEval-X style (the harness has its own package clause): the harness is a _test.go
    file beside the program, which gets the same package clause if it lacks one. MultiPL-E style:
    the harness is appended to a program that carries the package clause and imports.

    >>> sorted(go_test_files("func F() {}", "package main\\nfunc TestF(t *testing.T) {}"))
    ['prog.go', 'prog_test.go']
    >>> go_test_files("package p\\nfunc F() int { return 1 }", "func TestF(t *testing.T) {}")
    {'prog_test.go': 'package p\\nfunc F() int { return 1 }\\nfunc TestF(t *testing.T) {}\\n'}
    """
    package = go_package_of(harness)
    if package is None:
        return {"prog_test.go": f"{program}\n{harness}\n"}
    if go_package_of(program) is None:
        program = f"package {package}\n\n{program}"
    return {"prog.go": f"{program}\n", "prog_test.go": f"{harness}\n"}


def go_test_names(source: str) -> list[str]:
    """The functions `go test` would run: TestXxx(t *testing.T), Xxx not lower-case."""
    return GO_TEST_FUNC.findall(source)


# --- any language ------------------------------------------------------------------------


def first_lines(text: str, lines: int = 40, chars: int = 5000) -> str:
    """The head of a compiler's output, for a result's detail.

    >>> first_lines("a\\n\\nb\\nc", lines=2)
    'a\\nb'
    """
    kept = [line.rstrip() for line in text.splitlines() if line.strip()][:lines]
    head = "\n".join(kept)
    return head if len(head) <= chars else head[: chars - 3] + "..."
