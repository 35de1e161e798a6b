"""One recipe per language: how its program (and harness) is compiled once per job with a
`builder.Builder`, and the command one test runs (`Built`); and the limits a test runs under.

What each language adds at run time, measured on the images' toolchains: a JVM (21) reserves
about 500 MB of address space beyond its heap (`-Xmx` is the job's memory) and its main thread's
stack, with two malloc arenas (execute.ENV; glibc's default, one per thread, costs ~0.9 GB
more), Node (24) about 1.1 GB beyond `--max-old-space-size` (a 512 MB code range among it), and
Go's runtime about 700 MB at start, so their RLIMIT_AS is raised by that much; the container's
memory cgroup bounds what they really use. A JVM starts about 15 threads, so Java programs may
run at least 64.
"""

from __future__ import annotations

import json
import os
import resource
import secrets

from sandbox_runner import catalogue
from sandbox_runner.native import js_harness, sources
from sandbox_runner.native.builder import (
    BUILD,
    SUPPORT,
    VENDOR,
    Builder,
    BuildFailed,
    Built,
    which,
)
from sandbox_runner.native.execute import Limits
from sandbox_runner.native.go_main import go_testmain, go_token_package
from sandbox_runner.outcome import HarnessError

LANGUAGES = tuple(catalogue.languages())
MB = 1024 * 1024
# address space a runtime reserves beyond the job's memory, in MB (see the docstring)
RUNTIME_RESERVE_MB = {"java": 1024, "javascript": 1280, "typescript": 1280, "go": 768}
# The stack a program's main thread may grow to is its memory limit (Codeforces' convention: a
# DFS a million calls deep works). C, C++ and Rust: no RLIMIT_STACK of its own, so their
# RLIMIT_AS (the memory limit) bounds it; a finite one as large would also become every
# thread's default stack (glibc), and a program's first thread would exhaust the address space;
# unlimited, glibc gives threads 2 MB. Java: the thread RewardMain runs main on reserves the
# memory limit beside the heap. Go grows goroutine stacks itself (up to 1 GB); Node's and
# Python's stacks are their runtimes' choice.
STACK_FROM_RLIMIT = ("c", "cpp", "rust")
MIN_PROCESSES = {"java": 64, "javascript": 32, "typescript": 32, "go": 32}
# no annotation processors (no code of the program's runs while it compiles), and a class path
# with nothing on it: a program brings every class it uses but the JDK's
JAVAC_OPTIONS = ["-encoding", "UTF-8", "-nowarn", "-proc:none", "-implicit:none"]
JAVAC_OPTIONS += ["-classpath", f"{SUPPORT}/java/nothing"]
JVM_FLAGS = [
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",  # C1 only: a much faster start, and short tests never warm up
    "-XX:ReservedCodeCacheSize=32m",
    "-XX:MaxMetaspaceSize=128m",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:-UsePerfData",  # no /tmp/hsperfdata files
    "-XX:+DisplayVMOutputToStderr",  # a VM warning never lands in a program's (or javac's) output
    "-Xshare:auto",
]


def run_limits(language: str, job_limits: dict) -> Limits:
    """The limits one test runs under, with the language's runtime reserve."""
    memory = job_limits["memory_mb"]
    stack = memory if language == "java" else 0  # Java's main thread's, reserved beside the heap
    return Limits(
        timeout_s=job_limits["timeout_s"],
        address_space_mb=memory + RUNTIME_RESERVE_MB.get(language, 0) + stack,
        output_bytes=job_limits["output_bytes"],
        processes=max(job_limits["processes"], MIN_PROCESSES.get(language, 0)),
        file_size_mb=job_limits["file_size_mb"],
        stack_bytes=resource.RLIM_INFINITY if language in STACK_FROM_RLIMIT else None,
    )


# --- one recipe per language ---------------------------------------------------------------


def build(
    language: str,
    program: str,
    harness: str | None,
    b: Builder,
    memory_mb: int,
    dialect: str | None = None,
) -> Built:
    """`dialect`: the job's C/C++ standard or Rust edition (None: the catalogue's default)."""
    recipe = RECIPES[language]
    if dialect is None:
        return recipe(program, harness, b, memory_mb)
    if dialect not in catalogue.get(f"languages.{language}").get("dialects", ()):
        raise HarnessError(f"this image has no {language} dialect {dialect!r}")
    return recipe(program, harness, b, memory_mb, dialect=dialect)


def dialect_of(language: str, dialect: str | None) -> str:
    return dialect or catalogue.setting(language, "dialect")


def build_c_family(
    program: str, harness: str | None, b: Builder, cpp: bool, dialect: str | None
) -> Built:
    name = "prog.cpp" if cpp else "prog.c"
    language = "cpp" if cpp else "c"
    compiler = which(catalogue.setting(language, "compiler"))
    # the item's dialect (the catalogue's default: gnu23, gnu++23) and ONLINE_JUDGE, as judges
    # compile; no -pipe: cc1 and as running at once on a container's one-CPU quota are throttled
    flags = [*catalogue.setting(language, "flags"), f"-std={dialect_of(language, dialect)}"]
    if cpp and os.path.isdir(f"{SUPPORT}/pch"):
        # bits/stdc++.h precompiled with these flags for some dialects (prepare.py): g++ takes
        # the one made for this dialect, and parses the header itself for any other
        flags += ["-I", f"{SUPPORT}/pch"]
        if sources.stdcpp_after_includes(program):  # MultiPL-E's <assert.h> first
            flags += ["-include", sources.STDCPP]
    libs = ["-lm"]
    if harness is None:
        b.check(b.step([compiler, *flags, "-o", "prog", name, *libs], {name: program}))
        return Built([f"{BUILD}/prog"])
    text = sources.c_harness(program, harness, sources.macros_named(program), cpp)
    # the wrapper first: its .preinit_array entry runs before anything of the program's
    wrap = [f"{SUPPORT}/wrap_main.o", "-Wl,--wrap=main"]
    b.check(b.step([compiler, *flags, "-o", "prog", *wrap, name, *libs], {name: text}))
    return Built([f"{BUILD}/prog"], harness=True)


def build_c(
    program: str, harness: str | None, b: Builder, memory_mb: int, dialect: str | None = None
) -> Built:
    return build_c_family(program, harness, b, cpp=False, dialect=dialect)


def build_cpp(
    program: str, harness: str | None, b: Builder, memory_mb: int, dialect: str | None = None
) -> Built:
    return build_c_family(program, harness, b, cpp=True, dialect=dialect)


def build_java(program: str, harness: str | None, b: Builder, memory_mb: int) -> Built:
    """Compiled as `javac -d /tmp/build` would, by the container's warm javac
    (support/JavacServer.java): ~50-100 ms a program instead of ~0.4 s."""
    name, text = sources.java_source(program, harness)
    compile_heap = max(256, b.limits.address_space_mb // 2)
    server = [which("java"), *JVM_FLAGS, f"-Xmx{compile_heap}m", "-cp", f"{SUPPORT}/java"]
    b.serve("java", [*server, "JavacServer", BUILD, *JAVAC_OPTIONS], {name: text})
    classes = sorted(f[:-6] for f in os.listdir(BUILD) if f.endswith(".class") and "$" not in f)
    if harness is not None:
        shadowed = sources.java_shadowed_names(classes, program, harness, java_packages())
        if shadowed:
            raise BuildFailed(
                "runtime_error",
                f"the program declares {', '.join(shadowed)}, hiding the Java class of that name "
                "the tests use",
            )
    stem = name[: -len(".java")]
    order = [stem, *(["Main"] if stem != "Main" else []), *classes]
    candidates = list(dict.fromkeys(c for c in order if c in classes))
    if harness is not None:  # only the harness's own main may run: never one the program added
        _, body = sources.harness_imports_hoisted(sources.JAVA_PACKAGE.sub("", harness))
        main = sources.java_main_class(text, text.rindex(body.strip()) if body.strip() else 0)
        if main is None:
            raise BuildFailed("runtime_error", "the tests have no static void main to run")
        candidates = [main]
    mode = "harness" if harness is not None else "stdio"
    argv = [
        which("java"),
        *JVM_FLAGS,
        f"-Xmx{memory_mb}m",
        "-Xss8m",  # the JVM's other threads (and the program's); main gets memory_mb (RewardMain)
        "-ea",  # `assert` statements in tests (MultiPL-E) are checked
        "--add-opens=java.base/java.io=ALL-UNNAMED",  # RewardMain wraps the verdict pipes
        "-cp",
        f"{SUPPORT}/java:{BUILD}",  # ours first: a program class can't take RewardMain's name
        "RewardMain",
        mode,
        str(memory_mb * MB),  # the stack of the thread main runs on
        *candidates,
        "--",  # what follows is the program's own arguments (a checker's files)
    ]
    return Built(argv, harness=harness is not None)


_java_packages: dict[str, frozenset[str]] | None = None


def java_packages() -> dict[str, frozenset[str]]:
    """java.base's packages and their public top-level classes (listed at image build)."""
    global _java_packages
    if _java_packages is None:
        with open(f"{SUPPORT}/java/packages.json") as fh:
            _java_packages = {k: frozenset(v) for k, v in json.load(fh).items()}
    return _java_packages


def node_harness(program: str, harness: str | None, typescript: bool) -> tuple[str, str]:
    """The source to run, and what support/harness.js must learn after the token (nothing
    without a harness): the name of its start function (fresh for every job), the harness
    function's parameters and the built-in modules it requires (js_harness.py)."""
    if harness is None:
        return program, ""
    start = f"r{secrets.token_hex(12)}"
    built = js_harness.js_with_harness(program, harness, start, typescript)
    return built.text, f"\n{start}\n{','.join(built.params)}\n{','.join(built.modules)}"


HARNESS_JS = f"{SUPPORT}/node/harness.js"
# A harness run is confined by Node's permission model too: no inspector, native addons, child
# processes, workers or WASI (each could reach into the process the harness runs in), and files
# only where a program's are (no /proc/self/mem); symbolic links can't be made.
NODE_PERMISSIONS = [
    "--permission",
    *(f"--allow-fs-read={path}" for path in ("/tmp", "/dev/stdin", "/dev/null", HARNESS_JS)),
    "--allow-fs-write=/tmp",
]


def node_argv(script: str, harness: bool, memory_mb: int) -> list[str]:
    preload = [*NODE_PERMISSIONS, "-r", HARNESS_JS] if harness else []
    return [which("node"), f"--max-old-space-size={memory_mb}", *preload, script]


def build_javascript(program: str, harness: str | None, b: Builder, memory_mb: int) -> Built:
    """Nothing to compile: each run writes the file into its working directory as it starts
    (a build step that only wrote it would cost a process per job), and a syntax error shows in
    the first run (a separate `node --check` would cost a Node start, ~40 ms, per job). What a
    run leaves there is the program's own: the next run replaces the file, and one it can't
    replace fails that run."""
    text, handshake = node_harness(program, harness, typescript=False)
    argv = node_argv("prog.js", harness is not None, memory_mb)
    files = {"prog.js": text}
    return Built(argv, harness is not None, parsed_at_load=True, handshake=handshake, files=files)


AMBIENT = f"{SUPPORT}/node/ambient.d.ts"
TYPESCRIPT = f"{VENDOR}/node_modules/typescript"
# the catalogue's options (ES2023 library, Node's own types), the types from the image's
# @types/node (the runtime's major version)
TSCONFIG = {
    "compilerOptions": {
        **catalogue.setting("typescript", "compiler_options"),
        "typeRoots": [f"{VENDOR}/node_modules/@types"],
    },
    "files": ["prog.ts", AMBIENT],
}


def build_typescript(program: str, harness: str | None, b: Builder, memory_mb: int) -> Built:
    """Type-checked and emitted as `tsc -p` with TSCONFIG would, by the container's warm
    compiler (support/tsc_server.js): about 10-30 ms a program instead of a second."""
    text, handshake = node_harness(program, harness, typescript=True)
    heap = max(256, b.limits.address_space_mb - RUNTIME_RESERVE_MB["typescript"])
    module = TYPESCRIPT
    options = json.dumps(TSCONFIG["compilerOptions"])
    server = f"{SUPPORT}/node/tsc_server.js"
    argv = [which("node"), f"--max-old-space-size={heap}", server, module, AMBIENT, BUILD, options]
    b.serve("typescript", argv, {"prog.ts": text})
    argv = node_argv(f"{BUILD}/out/prog.js", harness is not None, memory_mb)
    return Built(argv, harness is not None, handshake=handshake)


def go_tool(name: str) -> str:
    return f"{SUPPORT}/go/{name}"  # links to the toolchain's compile and link (prepare.py)


_go_importcfg: str | None = None


def go_importcfg(*packages: str) -> str:
    """An importcfg naming the archive of every package a build may import: the standard
    library's and testify's, compiled at image build (prepare.py), and this build's own."""
    global _go_importcfg
    if _go_importcfg is None:
        with open(f"{SUPPORT}/go/importcfg") as fh:
            _go_importcfg = fh.read()
    return _go_importcfg + "".join(f"packagefile {p}={BUILD}/{p}.a\n" for p in packages)


def build_go(program: str, harness: str | None, b: Builder, memory_mb: int) -> Built:
    # the language version is the toolchain's own (range over int, per-iteration loop variables)
    lang = f"-lang=go{catalogue.get('families.go.version')}"
    compile_ = [go_tool("compile"), "-c=1", "-pack", lang, "-importcfg", "importcfg"]
    link = [go_tool("link"), "-s", "-w", "-importcfg", "importcfg"]  # no symbols or DWARF
    if harness is None:
        files = {"prog.go": program, "importcfg": go_importcfg()}
        b.check(b.step([*compile_, "-p", "main", "-o", "prog.a", "prog.go"], files))
        b.check(b.step([*link, "-o", "prog", "prog.a"]))
        return Built([f"{BUILD}/prog"])
    if sources.go_package_of(harness) is None:  # appended to the program's own file
        refusal = sources.go_harness_refusal(program, harness, go_std_names())
        if refusal is not None:
            raise BuildFailed("runtime_error", refusal)
    files = sources.go_test_files(program, harness)
    names = sources.go_test_names(files["prog_test.go"])
    if not names:
        raise BuildFailed("runtime_error", "the tests define no func TestXxx(t *testing.T)")
    # The token's package has a name the program can't know, and the program's package imports
    # it, so it is initialised (and has read fd 3) before any init() of the program's runs.
    token_package = f"rewardtoken{secrets.token_hex(8)}"
    files["token/token.go"] = go_token_package(token_package)
    package = sources.go_package_of(files["prog_test.go"]) or "main"
    files["reward_token.go"] = f'package {package}\n\nimport _ "{token_package}"\n'
    files["testmain/testmain.go"] = go_testmain(names, token_package)
    files["importcfg"] = go_importcfg(token_package, "userpkg")
    user = [name for name in files if name.endswith(".go") and "/" not in name]
    token_step = ["-p", token_package, "-o", f"{token_package}.a", "token/token.go"]
    b.check(b.step([*compile_, *token_step], files))
    b.check(b.step([*compile_, "-p", "userpkg", "-o", "userpkg.a", *user]))
    b.check(b.step([*compile_, "-p", "main", "-o", "main.a", "testmain/testmain.go"]))
    b.check(b.step([*link, "-o", "prog.test", "main.a"]))
    return Built([f"{BUILD}/prog.test", "-test.paniconexit0", "-test.timeout=0"], harness=True)


_go_std_names: frozenset[str] | None = None


def go_std_names() -> frozenset[str]:
    """The last path elements of Go's standard packages (listed at image build)."""
    global _go_std_names
    if _go_std_names is None:
        with open(f"{SUPPORT}/go/std.json") as fh:
            _go_std_names = frozenset(json.load(fh))
    return _go_std_names


def build_rust(
    program: str, harness: str | None, b: Builder, memory_mb: int, dialect: str | None = None
) -> Built:
    """The catalogue's flags: one codegen unit (a container has one CPU: parallel codegen only
    adds work), no debug info (1/4 the size) and mold, a faster linker; stdin/stdout programs
    (and checkers) at -O, for their time limits; harness programs, which are compile-bound,
    with the catalogue's `harness_flags` (a lower opt-level, Rust's semantics unchanged:
    no overflow checks or debug assertions, as at -O)."""
    # no warnings: the detail of a failure shows errors only
    edition = dialect_of("rust", dialect)
    rustc = [which("rustc"), "--edition", edition, "-A", "warnings"]
    rustc += [*catalogue.setting("rust", "flags"), "-o", "prog"]
    if harness is None:
        optimised = catalogue.setting("rust", "program_flags")
        b.check(b.step([*rustc, *optimised, "prog.rs"], {"prog.rs": program}))
        return Built([f"{BUILD}/prog"])
    rustc += catalogue.setting("rust", "harness_flags")
    refusal = sources.rust_refusal(program)
    if refusal is not None:
        raise BuildFailed("runtime_error", refusal)
    text = sources.rust_with_harness(program, harness)
    wrap = ["-C", f"link-arg={SUPPORT}/wrap_main.o", "-C", "link-arg=-Wl,--wrap=main"]
    tests = sources.rust_is_test_harness(harness)
    b.check(b.step([*rustc, *(["--test"] if tests else []), *wrap, "prog.rs"], {"prog.rs": text}))
    argv = [f"{BUILD}/prog", *(["--test-threads=1", "-q"] if tests else [])]
    return Built(argv, harness=True)


def build_python(program: str, harness: str | None, b: Builder, memory_mb: int) -> Built:
    """Python checkers (Python programs are the Python runner's)."""
    python = which("python3")
    check = "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')"
    b.check(b.step([python, "-I", "-B", "-c", check, "prog.py"], {"prog.py": program}))
    return Built([python, "-I", "-B", f"{BUILD}/prog.py"])


RECIPES = {
    "python": build_python,
    "c": build_c,
    "cpp": build_cpp,
    "java": build_java,
    "javascript": build_javascript,
    "typescript": build_typescript,
    "go": build_go,
    "rust": build_rust,
}
