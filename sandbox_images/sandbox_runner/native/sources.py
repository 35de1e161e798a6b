"""Pure text work on a program and its test harness, per language: how the two become source
files, and the guards that keep a program from rewriting the harness it is appended to.

The harness is the dataset's (trusted); the program is the policy's. Where the two share one
compilation unit, the program comes first and could redefine what the harness relies on, so:
- C and C++: every macro the program may define is undefined before the harness, and
  <assert.h> is included again with NDEBUG undefined (`#define assert(x)` and `#define NDEBUG`
  do nothing);
- Rust: the standard macros the harness calls are called by their full path
  (`::std::assert_eq!`, `::std::vec!`), so a program's `macro_rules! assert_eq` is never the one
  used; an item stands between program and harness, so an attribute the program leaves open
  (`#[cfg(any())]`) can't remove the harness; attributes that replace or rename the entry point,
  place code before it or configure the whole crate (`#![no_main]`, `#[no_mangle]`,
  `#[export_name]`, `#[link_section]`, `#![cfg]`) are refused;
- Java: a program class may not take the name of a class the harness would otherwise get from
  java.lang or a package it imports whole (`class Objects`, `class Math`);
- JavaScript and TypeScript: the harness closes the file as a function whose free names are
  the program's functions only (js_harness.py; support/harness.js runs and awaits it);
- Go: a harness appended to the program's file (MultiPL-E) may use no package name the program
  has taken for something of its own (`var fmt = ...` instead of `import "fmt"`).

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

# `define`/`undef` and the name after it, with whitespace or comments between (a directive's
# name is always spelt out: no macro expansion or token pasting makes it)
MACRO_NAME = re.compile(r"\b(?:define|undef)(?:\s|/\*.*?\*/)+([A-Za-z_]\w*)", re.S)


def macros_named(program: str) -> list[str]:
    """Every name the program could #define or #undef: each identifier that follows the word
    `define` or `undef` once line continuations are joined. A superset (a comment saying "we
    define x" names x too), read from the text itself, so no `#line` or line marker can hide a
    directive from it, as it could from the preprocessor's own account of which file a line
    came from.

    >>> macros_named("#define assert(x) 1\\n# /**/ undef NDEBUG\\n%:define ll long long")
    ['assert', 'NDEBUG', 'll']
    >>> macros_named("#de\\\\\\nfine ass\\\\\\nert(x) 1")
    ['assert']
    >>> macros_named("int main() { return 0; }")
    []
    """
    joined = program.replace("\\\r\n", "").replace("\\\n", "")
    return list(dict.fromkeys(MACRO_NAME.findall(joined)))


ANGLE_INCLUDE = re.compile(r"#[ \t]*include[ \t]*<([^<>\n]+)>[ \t]*(?://.*)?")
STDCPP = "bits/stdc++.h"


def stdcpp_after_includes(program: str) -> bool:
    """Whether the program includes <bits/stdc++.h> after other <...> includes and nothing else
    (comments and blank lines aside), as MultiPL-E's C++ starts: `#include<assert.h>` then
    `#include<bits/stdc++.h>`. g++ loads a precompiled header only before the first
    declaration, so such a program parses bits/stdc++.h itself unless it is included first
    (`-include`); that declares nothing the program would not have seen from there on, as
    bits/stdc++.h includes those headers too.

    >>> stdcpp_after_includes("#include<assert.h>\\n#include<bits/stdc++.h>\\nint f();")
    True
    >>> stdcpp_after_includes("#include <bits/stdc++.h>\\nint f();")  # already first
    False
    >>> stdcpp_after_includes("#define _GLIBCXX_DEBUG\\n#include <bits/stdc++.h>")
    False
    """
    seen = False
    for line in program.splitlines():
        text = line.strip()
        if text.endswith("\\"):  # continued onto the next line: not read here
            return False
        one_comment = text.startswith("/*") and text.find("*/") == len(text) - 2
        if not text or one_comment or text.startswith("//"):
            continue
        found = ANGLE_INCLUDE.fullmatch(text)
        if found is None:
            return False
        if found.group(1).strip() == STDCPP:
            return seen
        seen = True
    return False


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
    "vec",
    "format",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "concat",
    "stringify",
)
RUST_MACRO_CALL = re.compile(r"(?<![\w:$])(" + "|".join(STD_MACROS) + r")!")
# entry points, symbols the harness wrapper relies on, code run before main (.preinit_array),
# anywhere in an attribute (`#[cfg_attr(all(), no_mangle)]` too); and crate-wide conditions,
# which could configure the harness away with the rest of the crate
RUST_REFUSED_ATTRIBUTES = re.compile(
    r"#!?\[[^\]]*?\b(no_main|no_mangle|export_name|no_std|link_section|link_name)\b"
    r"|#!\[\s*(cfg|cfg_attr)\b"
)
# an item between program and harness: an attribute left open at the program's end (a
# `#[cfg(any())]` that would remove the harness's `fn main` or `mod tests`) applies to it
RUST_SENTINEL = "\n#[allow(dead_code)]\nconst REWARD_SANDBOX_HARNESS_FOLLOWS: () = ();\n"


def rust_harness(harness: str) -> str:
    """The harness with the standard macros it calls called by their full path."""
    return RUST_MACRO_CALL.sub(r"::std::\1!", harness)


def rust_with_harness(program: str, harness: str) -> str:
    """The crate: the program, the sentinel item, then the harness."""
    return f"{program}\n{RUST_SENTINEL}\n{rust_harness(harness)}\n"


def rust_refusal(program: str) -> str | None:
    """Why a program may not be tested with a harness appended, or None.

    >>> rust_refusal('#[no_mangle] pub extern "C" fn main() -> i32 { 0 }')
    'the program uses #[no_mangle], which a program tested by a harness may not use'
    >>> rust_refusal('#![cfg(any())]')
    'the program uses #![cfg], which a program tested by a harness may not use'
    """
    found = RUST_REFUSED_ATTRIBUTES.search(program)
    if found is None:
        return None
    name = f"#[{found.group(1)}]" if found.group(1) else f"#![{found.group(2)}]"
    return f"the program uses {name}, which a program tested by a harness may not use"


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


JAVA_TOKEN = re.compile(
    r'//[^\n]*|/\*.*?\*/|"""(?:.|\n)*?"""|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    r"|\b(?:class|interface|enum|record)\s+([A-Za-z_]\w*)|[{}]",
    re.S,
)
JAVA_MAIN = re.compile(r"\bstatic\s+(?:final\s+)?void\s+main\s*\(|\bvoid\s+static\s+main\s*\(")


def java_main_class(text: str, harness_from: int) -> str | None:
    """The binary name of the class whose body holds the harness's `main` (the first `static
    void main(` at or after offset `harness_from`), or None. A harness's main is the one to
    run, never a class the program added (HumanEval-X's `public class Main`, or MultiPL-E's
    main that closes the program's class).

    >>> text = "class Problem {\\n  int f() { return 1; }\\n"
    >>> java_main_class(text + "  public static void main(String[] a) {}\\n}\\n", len(text))
    'Problem'
    >>> java_main_class('public class Z { public static void main(String[] a) {} }\\n'
    ...     'public class Main { static class T { public static void main(String[] b) {} } }', 60)
    'Main$T'
    """
    found = JAVA_MAIN.search(text, harness_from)
    if found is None:
        return None
    stack: list[tuple[str | None, int]] = []  # (class name or None for other braces, depth)
    pending: str | None = None
    for token in JAVA_TOKEN.finditer(text, 0, found.start()):
        lexeme = token.group(0)
        if token.group(1):
            pending = token.group(1)
        elif lexeme == "{":
            stack.append((pending, len(stack)))
            pending = None
        elif lexeme == "}" and stack:
            stack.pop()
    names = [name for name, _ in stack if name is not None]
    return "$".join(names) if names else None


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


GO_TOP_DECLARATION = re.compile(r"^\s*(?:func|var|const|type)\s+([A-Za-z_]\w*)", re.M)
GO_GROUP = re.compile(r"^\s*(var|const|type|import)\s*\((.*?)^\s*\)", re.M | re.S)
GO_GROUP_NAME = re.compile(r"^\s*([A-Za-z_]\w*)\b", re.M)
GO_IMPORT = re.compile(r'^\s*(?:import\s+)?([A-Za-z_]\w*|\.)?\s*"([^"]+)"', re.M)


def go_harness_refusal(program: str, harness: str, std_names: frozenset[str]) -> str | None:
    """Why a program may not have this harness appended to its file (MultiPL-E), or None:
    the harness uses a standard package by its name (`fmt.Sprintf`) that the program binds to
    something else, a declaration of its own or an import of another path under that name.

    >>> go_harness_refusal('package p\\nvar fmt = f{}', 'fmt.Sprintf("%v", x)', frozenset({"fmt"}))
    'the program declares its own fmt, which the tests use as the package fmt'
    >>> go_harness_refusal('package p\\nimport "fmt"', 'fmt.Sprintf("%v", x)', frozenset({"fmt"}))
    """
    used = {name for name in re.findall(r"\b([a-z]\w*)\.", harness) if name in std_names}
    if not used:
        return None
    declared = set(GO_TOP_DECLARATION.findall(program))
    specs = [spec for line in re.findall(r"^\s*import\s+[^(\n]*$", program, re.M)
             for spec in GO_IMPORT.findall(line)]  # fmt: skip
    for kind, body in GO_GROUP.findall(program):
        if kind == "import":
            specs += GO_IMPORT.findall(body)
        else:
            declared |= set(GO_GROUP_NAME.findall(body))
    imported = {alias or path.rsplit("/", 1)[-1]: path for alias, path in specs}
    for name in sorted(used):
        if name in declared:
            return f"the program declares its own {name}, which the tests use as the package {name}"
        path = imported.get(name)
        if path is not None and path.rsplit("/", 1)[-1] != name:
            return (
                f"the program imports {path} as {name}, which the tests use as the package {name}"
            )
    return None


def go_test_names(source: str) -> list[str]:
    """The functions `go test` would run: TestXxx(t *testing.T), Xxx not lower-case."""
    return GO_TEST_FUNC.findall(source)


# --- any language ------------------------------------------------------------------------


def first_lines(text: str, lines: int = 12, chars: int = 1000, line_chars: int = 200) -> str:
    """The head of a compiler's output, for a result's detail (a linker's command line, one
    very long line, is cut so the error after it still shows).

    >>> first_lines("a\\n\\nb\\nc", lines=2)
    'a\\nb'
    >>> first_lines("x" * 500 + "\\nerror: y")[-8:]
    'error: y'
    """
    kept = [
        line.rstrip() if len(line.rstrip()) <= line_chars else line[: line_chars - 3] + "..."
        for line in text.splitlines()
        if line.strip()
    ][:lines]
    head = "\n".join(kept)
    return head if len(head) <= chars else head[: chars - 3] + "..."
