"""How a JavaScript or TypeScript program and its test harness become one file (pure text).

The program comes first and the harness closes the file as one function handed to the
preloaded script (support/harness.js), which runs it, awaits it, and writes the test's token
only if it settled normally with nothing it started left pending:

    <program>
    ;
    START(async function (require, console, JSON) {
    {
    <the harness>
    }
    });

The harness's free names then mean what the dataset meant whatever the program declared:
`require` is the preloaded script's (built-in modules taken and frozen before the program ran,
never the module loader the program could patch; its `main` is the main module, which
`module` is too), and each real built-in the harness names
(`console`, `JSON`, `Promise`, `setTimeout`...) comes in as a parameter, so a program's
`const console = ...`, `JSON = ...` or `function require` can't reach it; only the program's
own functions are left for it to name (the harness's own declarations of those names, in the
inner block, are its own too). The preloaded script checks that the function it is handed is
this text, so a program that calls START itself only runs the real harness again.

Statements that must stay at the top of a file are taken out of the harness: TypeScript's
`declare var ...;` lines (MultiPL-E's `declare var require: any;`) move in front of it, and
`import` declarations become `require` calls (typed as the import was, in TypeScript).

>>> built = js_with_harness("function f() {}", "const a = require('node:assert');", "S", False)
>>> print(built.text)
function f() {}
;
S(async function (require) {
{
const a = require('node:assert');
}
});
<BLANKLINE>
>>> built.params, built.modules
(['require'], ['node:assert'])
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The built-ins a harness gets as parameters (the real ones, whatever the program did to the
# names): ECMAScript's and Node's globals that no program is meant to provide to its tests.
# Each is a property of globalThis in Node and of `typeof globalThis` in TypeScript's ES2023
# library with Node's types (a parameter's type is `typeof globalThis.NAME`).
JS_GLOBALS = frozenset(
    [
        *("console", "process", "Buffer", "JSON", "Math", "Reflect", "Atomics", "Intl"),
        *("Object", "Function", "Array", "Number", "String", "Boolean", "Symbol", "BigInt"),
        *("Date", "RegExp", "Promise", "Proxy", "Map", "Set", "WeakMap", "WeakSet", "WeakRef"),
        *("Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError"),
        *("URIError", "AggregateError", "FinalizationRegistry"),
        *("ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array"),
        *("Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array"),
        *("Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"),
        *("isNaN", "isFinite", "parseInt", "parseFloat", "encodeURI", "encodeURIComponent"),
        *("decodeURI", "decodeURIComponent", "structuredClone", "queueMicrotask"),
        *("setTimeout", "clearTimeout", "setInterval", "clearInterval"),
        *("setImmediate", "clearImmediate", "performance", "AbortController", "AbortSignal"),
        *("TextEncoder", "TextDecoder", "URL", "URLSearchParams"),
    ]
)
# every identifier (a property name too: an unused parameter costs nothing)
JS_NAME = re.compile(r"(?<![\w$])[A-Za-z_$][\w$]*")
QUOTED = r"""(?P<q>['"])(?P<id>[^'"\n]+)(?P=q)"""  # a module's name in its quotes
JS_MODULE = re.compile(rf"(?<![\w$.])require\s*\(\s*{QUOTED}\s*\)")
# `import ... from 'm';`, `import 'm';` and TypeScript's `import x = require('m');`, each
# starting a line (what a harness's imports look like)
IMPORT_FROM = re.compile(
    rf"""^[ \t]*import\s+(?P<what>(?:type\s+)?[\w$*{{][^;'"]*?)\s*from\s*{QUOTED}[ \t]*;?""", re.M
)
IMPORT_BARE = re.compile(rf"^[ \t]*import\s*{QUOTED}[ \t]*;?", re.M)
IMPORT_EQUALS = re.compile(
    rf"^[ \t]*import\s+(?P<name>[\w$]+)\s*=\s*require\s*\(\s*{QUOTED}\s*\)[ \t]*;?", re.M
)
TS_DECLARE = re.compile(r"^[ \t]*declare\s+(?:var|let|const|function)\b[^\n]*\n?", re.M)


def quoted(found: re.Match[str]) -> str:
    return found.group("q") + found.group("id") + found.group("q")


class JsHarness(NamedTuple):
    """The file's text, the harness function's parameters (`require` first, then the
    built-ins it names) and the built-in modules it requires by name."""

    text: str
    params: list[str]
    modules: list[str]


def js_with_harness(program: str, harness: str, start: str, typescript: bool) -> JsHarness:
    """The program, then the harness as the function handed to `start` (see above)."""
    top, body = harness_top_level(harness, typescript)
    names = set(JS_NAME.findall(body))
    # `module` too: the main module, as `require.main` is (`if (require.main === module)`)
    params = ["require", *sorted(names & JS_GLOBALS), *(["module"] if "module" in names else [])]
    if typescript:
        typed = [
            f"{name}: any" if name in ("require", "module") else f"{name}: typeof globalThis.{name}"
            for name in params
        ]
        top += f"declare function {start}(harness: (...args: any[]) => Promise<unknown>): void;\n"
    else:
        typed = params
    modules = list(dict.fromkeys(found.group("id") for found in JS_MODULE.finditer(body)))
    params_text = ", ".join(typed)
    text = f"{program}\n;\n{top}{start}(async function ({params_text}) {{\n{{\n{body}\n}}\n}});\n"
    return JsHarness(text, params, modules)


def harness_top_level(harness: str, typescript: bool) -> tuple[str, str]:
    """(what goes in front of the harness function, the harness's body): imports become
    `require` calls; TypeScript's `declare` lines and type-only imports move out, and a harness
    that imported anything keeps the file a module (`export {};`).

    >>> harness_top_level("import assert from 'node:assert';\\nassert(1);", False)
    ('', "const assert = require('node:assert');\\nassert(1);")
    >>> harness = "declare var require: any;\\nimport { ok } from 'assert';"
    >>> top, body = harness_top_level(harness, True)
    >>> top
    'declare var require: any;\\nexport {};\\n'
    >>> body
    'const ok: (typeof import(\\'assert\\'))["ok"] = require(\\'assert\\').ok;'
    """
    top: list[str] = []

    def declared(found: re.Match[str]) -> str:
        top.append(found.group(0).rstrip("\n") + "\n")
        return ""

    def imported(found: re.Match[str]) -> str:
        what, module = found.group("what").strip(), quoted(found)
        if what.startswith("type ") and typescript:
            top.append(found.group(0).strip() + "\n")
            return ""
        statements, types = import_as_require(what, module, typescript)
        if types:
            top.append(f"import type {{ {', '.join(types)} }} from {module};\n")
        return statements

    body = harness
    if typescript:
        body = TS_DECLARE.sub(declared, body)
    rewritten = IMPORT_EQUALS.sub(
        lambda found: binding(found.group("name"), quoted(found), None, typescript), body
    )
    rewritten = IMPORT_FROM.sub(imported, rewritten)
    rewritten = IMPORT_BARE.sub(lambda found: f"require({quoted(found)});", rewritten)
    if typescript and rewritten != body:
        top.append("export {};\n")
    return "".join(top), rewritten


def import_as_require(what: str, module: str, typescript: bool) -> tuple[str, list[str]]:
    """`import <what> from <module>` as declarations of the same names, and the type-only
    names it imported (`{ type T }`).

    >>> import_as_require("a, { b as c, type T, default as d }", "'m'", False)
    ("const a = require('m'); const c = require('m').b; const d = require('m');", ['T'])
    """
    default, _, named = what.partition("{")
    statements, types = [], []
    for part in (p.strip() for p in default.split(",")):
        if part.startswith("* as "):
            statements.append(binding(part[5:].strip(), module, None, typescript))
        elif part and part != "type":
            statements.append(binding(part, module, None, typescript))
    for entry in (e.strip() for e in named.rstrip("} \n").split(",")):
        if entry.startswith("type "):
            types.append(entry[5:].strip())
        elif entry:
            name, _, alias = (piece.strip() for piece in entry.partition(" as "))
            export = None if name == "default" else name
            statements.append(binding(alias or name, module, export, typescript))
    return " ".join(statements), types


def binding(name: str, module: str, export: str | None, typescript: bool) -> str:
    """`const name = require(module)` (or its `export`), typed as the import was."""
    value = f"require({module})" + (f".{export}" if export else "")
    if not typescript:
        return f"const {name} = {value};"
    kind = f"typeof import({module})"
    if export is not None:
        kind = f'({kind})["{export}"]'
    return f"const {name}: {kind} = {value};"
