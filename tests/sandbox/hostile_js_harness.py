"""Hacks on a JavaScript or TypeScript test harness, each with its honest twin (the same test
with a correct program, which must score 1.0), for tests/sandbox/hostile_programs.py.

Every hack would pass a wrong `add` if it worked: it hands the harness a fake `assert`
(Module._load, Module.prototype.require, Module._resolveFilename, require.cache), keeps the
harness's asserts from running or from counting (a promise that never settles, a swallowed
rejection, a patched process.emit, exit or exitCode, a replaced timer), shadows or patches what
the harness names (console, JSON, setTimeout, Promise.prototype.then, Function.prototype.call),
calls the harness's start function itself, or digs for the token (a heap snapshot, the
inspector, /proc/self/mem, process.binding).
"""

from __future__ import annotations

from tests.sandbox.language_programs import ADD, HARNESS, WRONG_ADD, fenced

ASSERT = "const assert = require('node:assert');\n"
ASYNC_ADD = {
    "javascript": "async function add(a, b) { return a + b; }\n",
    "typescript": "async function add(a: number, b: number): Promise<number> { return a + b; }\n",
}
WRONG_ASYNC_ADD = {k: v.replace("a + b", "a - b") for k, v in ASYNC_ADD.items()}
NEVER = {
    "javascript": "function add(a, b) { return new Promise(() => {}); }\n",
    "typescript": "function add(a: number, b: number): Promise<number> { return new Promise(() => {}); }\n",
}
# test harnesses as datasets write them (asserts on awaited results, run in different ways)
ASYNC_IIFE = (
    ASSERT
    + "(async () => {\n  assert.deepEqual(await add(1, 2), 3);\n  assert.deepEqual(await add(2, 2), 4);\n})();\n"
)
ASYNC_TEST = (
    ASSERT
    + "async function test() {\n  assert.deepEqual(await add(1, 2), 3);\n  assert.deepEqual(await add(2, 2), 4);\n}\n"
)
UNAWAITED = ASYNC_TEST + "test();\n"
THEN = ASYNC_TEST + "test().then(() => console.log('tests done'));\n"
CATCH_EXIT = ASYNC_TEST + "test().catch((e) => { console.error(e); process.exit(1); });\n"
CATCH_EXIT_CODE = ASYNC_TEST + "test().catch((e) => { console.error(e); process.exitCode = 1; });\n"
TIMER = ASSERT + "setTimeout(() => {\n  assert.deepEqual(add(1, 2), 3);\n}, 0);\n"
CONSOLE = "console.assert(add(1, 2) === 3);\nconsole.assert(add(2, 2) === 4);\n"
JSON_HARNESS = "const testAdd = () => {\n  console.assert(JSON.stringify(add(1, 2)) === JSON.stringify(3));\n};\ntestAdd();\n"
PLAIN_ASSERT = "const assert = require('assert');\nassert.deepEqual(add(1, 2), 3);\n"
MAIN_ONLY = (
    ASSERT
    + "function test() {\n  assert.deepEqual(add(1, 2), 3);\n}\nif (require.main === module) test();\n"
)


def typed(text: str, ts: bool) -> str:
    """TypeScript's annotations where the text marks them: `$ANY` (`: any`), `(x$AS)` (`(x as
    any)`), `$STR` (`: string`), `$THIS` (`this: any, `); in JavaScript they are left out."""
    marks = {"$ANY": ": any", "$AS": " as any", "$STR": ": string", "$THIS": "this: any, "}
    for mark, annotation in marks.items():
        text = text.replace(mark, annotation if ts else "")
    return text


NOTHING = (
    "const nothing$ANY = new Proxy(function () {}, { get: () => nothing, apply: () => nothing });\n"
)
MODULE = "const Module$ANY = require('module');\n"
FIND_TOKEN = (
    "function useToken(text$STR) {\n"
    "  const token = (text.match(/[0-9a-f]{32}/) || [])[0];\n"
    "  if (token) { require('fs').writeSync(4, token); (process$AS).reallyExit(0); }\n}\n"
)
DIG = (
    "function dig() {\n  let text = '';\n"
    "  try { const session = new (require('inspector').Session)(); session.connect(); text += 'connected'; } catch (e) {}\n"
    "  try { text += String((process$AS).binding('fs')); } catch (e) {}\n"
    "  try {\n    const fs = require('fs');\n    const mem = fs.openSync('/proc/self/mem', 'r');\n"
    "    for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')) {\n"
    "      const m = line.match(/^([0-9a-f]+)-([0-9a-f]+) rw/);\n      if (!m) continue;\n"
    "      const start = parseInt(m[1], 16), size = Math.min(parseInt(m[2], 16) - start, 1 << 24);\n"
    "      const buf = Buffer.alloc(size);\n"
    "      try { fs.readSync(mem, buf, 0, size, start); text += buf.toString('latin1'); } catch (e) {}\n"
    "    }\n  } catch (e) {}\n  return text;\n}\n"
)
HEAP = "try { useToken(require('fs').readFileSync(require('v8').writeHeapSnapshot('/tmp/run/h.heapsnapshot'), 'latin1')); } catch (e) {}\n"
# each hack's program before the wrong `add` (sync or async), and the test it attacks
HACKS = {
    "Module._load hands the harness a do-nothing assert": (
        MODULE + NOTHING + "const load = Module._load;\n"
        "Module._load = function ($THISrequest$STR, ...rest$ANY) { return /assert/.test(request) ? nothing : load.call(this, request, ...rest); };\n",
        "sync",
        None,
    ),
    "Module.prototype.require hands the harness a do-nothing assert": (
        MODULE + NOTHING + "const req = Module.prototype.require;\n"
        "Module.prototype.require = function ($THISid$STR, ...rest$ANY) { return /assert/.test(id) ? nothing : req.call(this, id, ...rest); };\n",
        "sync",
        None,
    ),
    "Module._resolveFilename sends require('assert') to a fake file": (
        MODULE
        + "require('fs').writeFileSync('/tmp/run/fake.js', 'module.exports = () => {}; module.exports.deepEqual = () => {};');\n"
        "const resolve = Module._resolveFilename;\n"
        "Module._resolveFilename = function ($THISrequest$STR, ...rest$ANY) { return /assert/.test(request) ? '/tmp/run/fake.js' : resolve.call(this, request, ...rest); };\n",
        "sync",
        PLAIN_ASSERT,
    ),
    "require.cache poisoned with a fake assert": (
        NOTHING
        + "for (const id of ['assert', 'node:assert']) require.cache[id] = { id, filename: id, loaded: true, exports: nothing }$AS;\n",
        "sync",
        PLAIN_ASSERT,
    ),
    "a heap snapshot to read the token": (FIND_TOKEN + HEAP, "sync", None),
    "the inspector, process.binding and /proc/self/mem to read the token": (
        FIND_TOKEN + DIG + "useToken(dig());\n",
        "sync",
        None,
    ),
    "a promise that never settles, awaited by an async harness": ("", "never", ASYNC_IIFE),
    "a promise that never settles, in a test() nobody awaits": ("", "never", UNAWAITED),
    "a failed async assertion swallowed by process.on('unhandledRejection')": (
        "process.on('unhandledRejection', () => {});\nprocess.on('uncaughtException', () => {});\n",
        "async",
        UNAWAITED,
    ),
    "a failed async assertion swallowed by a listener that removes itself": (
        "process.once('unhandledRejection', () => {});\n",
        "async",
        UNAWAITED,
    ),
    "process.removeAllListeners and a process.emit that drops errors": (
        "const emit = process.emit;\nprocess.removeAllListeners();\n"
        "try { (process$AS).emit = function ($THISevent$STR, ...rest$ANY) { return /uncaught|unhandled/i.test(event) ? true : emit.call(this, event, ...rest); }; } catch (e) {}\n",
        "async",
        UNAWAITED,
    ),
    "a capture callback that swallows a failed assertion in a timer": (
        "(process$AS).setUncaughtExceptionCaptureCallback(() => {});\n",
        "sync",
        TIMER,
    ),
    "process.reallyExit(0) as the harness starts": (
        "setImmediate(() => (process$AS).reallyExit(0));\n",
        "never",
        ASYNC_IIFE,
    ),
    "process.exit patched so the harness's failure exit does nothing": (
        "try { (process$AS).exit = () => {}; (process$AS).reallyExit = () => {}; } catch (e) {}\n",
        "async",
        CATCH_EXIT,
    ),
    "process.exitCode reset after the harness set it": (
        "setTimeout(() => { process.exitCode = 0; }, 50);\n",
        "async",
        CATCH_EXIT_CODE,
    ),
    "Promise.prototype.then patched to swallow rejections": (
        "const then = Promise.prototype.then;\n"
        "try { (Promise.prototype$AS).then = function ($THISok$ANY) { return then.call(this, ok, () => {}); }; } catch (e) {}\n",
        "async",
        THEN,
    ),
    "Function.prototype.call, apply and toString, and Reflect.apply patched": (
        "try {\n  (Function.prototype$AS).call = function () {};\n  (Function.prototype$AS).apply = function () {};\n"
        "  (Function.prototype$AS).toString = function () { return ''; };\n  (Reflect$AS).apply = () => {};\n} catch (e) {}\n",
        "sync",
        None,
    ),
    "a console of its own that silences console.assert": (
        "const console = { assert() {}, log() {}, error() {} };\n",
        "sync",
        CONSOLE,
    ),
    "globalThis.console replaced": (
        "(globalThis$AS).console = { assert() {}, log() {}, error() {} };\n",
        "sync",
        CONSOLE,
    ),
    "a JSON of its own and a patched JSON.stringify (HumanEval-X's harness)": (
        "try { (globalThis.JSON$AS).stringify = () => ''; } catch (e) {}\nconst JSON = { stringify: () => '' };\n",
        "sync",
        JSON_HARNESS,
    ),
    "setTimeout replaced so the harness's timer never fires": (
        "(globalThis$AS).setTimeout = () => 0;\n",
        "sync",
        TIMER,
    ),
    "a Timeout.prototype setter that steals the harness's timer callback": (
        "try { Object.defineProperty(Object.getPrototypeOf(setTimeout(() => {}, 0)), '_onTimeout', { set(f$ANY) {}, get() { return () => {}; }, configurable: true }); } catch (e) {}\n",
        "sync",
        TIMER,
    ),
    "require.main and module swapped so `if (require.main === module)` skips the tests": (
        "(require$AS).main = null;\ntry { (module$AS).loaded = false; module = {}$AS; } catch (e) {}\n",
        "sync",
        MAIN_ONLY,
    ),
}
# the add each hack comes with, and its honest twin's
ADDS = {
    "sync": (WRONG_ADD, ADD),
    "async": (WRONG_ASYNC_ADD, ASYNC_ADD),
    "never": (NEVER, ASYNC_ADD),
}
START_HIJACK = (
    "for (const name of Object.getOwnPropertyNames(globalThis)) {\n"
    "  if (/^r[0-9a-f]{24}$/.test(name)) try { globalThis[name](async function () {}); } catch (e) {}\n}\nreturn;\n"
)


def hacks(language: str) -> dict[str, tuple[dict, dict]]:
    """Attack name -> (the hack, its honest twin)."""
    ts = language == "typescript"
    out: dict[str, tuple[dict, dict]] = {}
    cases = {
        name: (typed(program, ts), kind, test) for name, (program, kind, test) in HACKS.items()
    }
    if not ts:  # TypeScript refuses a return outside a function
        cases["calling the harness's start function with an empty harness, then returning"] = (
            START_HIJACK,
            "sync-after",
            None,
        )
    for name, (program, kind, test) in cases.items():
        wrong, right = ADDS["async" if kind == "async" else "never" if kind == "never" else "sync"]
        test = test or HARNESS[language]
        if ts and not test.startswith("declare"):
            test = "declare var require: any;\n" + test
        module = "export {};\n" if ts else ""  # its own `const console` is the module's
        hack = program + wrong[language] if kind != "sync-after" else wrong[language] + program
        twin = right[language]
        item = {"language": language, "completion": fenced(language, module + hack), "test": test}
        out[name] = (item, {**item, "completion": fenced(language, module + twin)})
    return out
