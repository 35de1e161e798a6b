"""The unsandboxed side of bench_languages.py: compile and run jobs the plain way a person would
(`g++ -O2 prog.cpp && ./prog < input`, `javac` then `java`, `go build`/`go test`, `rustc`,
`tsc` then `node`), no limits, no uids, no pool, `--workers` jobs at a time.

    python3 plain_compile_run.py JOBS.json --workers 2 [--flags sandbox|person]

Runs inside a plain container of the language's own image (`docker exec`), so both sides use
the same toolchain versions, and the same flags: the image's language catalogue
(/opt/sandbox/sandbox_runner/catalogue.py), Rust's codegen flags included (`--flags person`:
Rust as `rustc -O` instead, with the linker and codegen defaults). Standard library only. Prints
one JSON object: the wall time, the seconds spent compiling and running, and how many tests
passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, "/opt/sandbox/sandbox_runner")  # the image's catalogue (its runner's)
import catalogue  # type: ignore[import-not-found]

GO = f"{catalogue.setting('go', 'root')}/bin/go"
GO_ENV = {"GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": "/tmp/plain-go-cache"}
GO_ENV |= {"CGO_ENABLED": "0"}  # the image has no C compiler (its own runner needs none)
VENDOR = "/opt/vendor/node_modules"  # Node.js's packages in the node image
TSC = ["node", f"{VENDOR}/typescript/bin/tsc"]
TSCONFIG = {
    "compilerOptions": {
        **catalogue.setting("typescript", "compiler_options"),
        "typeRoots": [f"{VENDOR}/@types"],
    },
    "files": ["prog.ts", "ambient.d.ts"],
}
AMBIENT = 'declare module "*";\n'


def public_class(text: str) -> str:
    found = re.search(r"public\s+(?:final\s+)?class\s+(\w+)", text)
    return found.group(1) if found else "Main"


FLAGS = "sandbox"  # or "person": `rustc -O` (--flags)


def rust_flags(harness: str | None) -> list[str]:
    """The sandbox's (the catalogue's, as native/languages.py compiles), or a person's `-O`."""
    if FLAGS == "person":
        return ["-O"]
    kind = "program_flags" if harness is None else "harness_flags"
    return ["-A", "warnings", *catalogue.setting("rust", "flags"), *catalogue.setting("rust", kind)]


def plan(job: dict, workdir: str) -> tuple[list[list[str]], list[str]]:
    """Files written into `workdir`; (compile commands, run command)."""
    language, program, harness = job["language"], job["program"], job.get("harness")
    text = program if harness is None else f"{program}\n{harness}\n"

    def write(name: str, content: str) -> None:
        with open(os.path.join(workdir, name), "w") as fh:
            fh.write(content)

    if language in ("c", "cpp"):
        name = f"prog.{language}"
        write(name, text)
        std = f"-std={catalogue.setting(language, 'dialect')}"
        compiler = [catalogue.setting(language, "compiler"), *catalogue.setting(language, "flags")]
        compiler.append(std)
        return [[*compiler, "-o", "prog", name, "-lm"]], ["./prog"]
    if language == "java":
        name = public_class(text)
        write(f"{name}.java", text)
        main = "Main" if harness is not None else name
        return [["javac", f"{name}.java"]], ["java", "-ea", "-cp", ".", main]
    if language == "javascript":
        write("prog.js", text)
        return [], ["node", "prog.js"]
    if language == "typescript":
        write("prog.ts", text)
        write("ambient.d.ts", AMBIENT)
        write("tsconfig.json", json.dumps(TSCONFIG))
        return [[*TSC, "-p", "."]], ["node", "out/prog.js"]
    if language == "go":
        if harness is None:
            write("prog.go", program)
            return [[GO, "build", "-o", "prog", "prog.go"]], ["./prog"]
        write("prog.go", program)
        write("prog_test.go", harness)
        return [[GO, "test", "-c", "-o", "prog.test", "prog.go", "prog_test.go"]], ["./prog.test"]
    if language == "rust":
        write("prog.rs", text)
        test = ["--test"] if harness is not None and "#[test]" in harness else []
        rustc = ["rustc", "--edition", catalogue.setting("rust", "dialect"), *rust_flags(harness)]
        return [[*rustc, *test, "-o", "prog", "prog.rs"]], ["./prog"]
    raise ValueError(f"unknown language {language}")


def run_job(job: dict) -> dict:
    workdir = tempfile.mkdtemp(prefix="plain-")
    env = {**os.environ, **GO_ENV}
    try:
        steps, command = plan(job, workdir)
        started = time.perf_counter()
        for step in steps:
            done = subprocess.run(step, cwd=workdir, env=env, capture_output=True)
            if done.returncode != 0:
                error = done.stderr[-500:].decode(errors="replace")
                return {"compile_s": 0.0, "run_s": 0.0, "passed": 0, "error": error}
        compiled = time.perf_counter()
        passed = 0
        for test in job["tests"]:
            stdin = test.get("stdin", "").encode()
            done = subprocess.run(command, cwd=workdir, env=env, input=stdin, capture_output=True)
            if "stdout" in test:
                expected = test["stdout"].encode().split()
                passed += done.returncode == 0 and done.stdout.split() == expected
            else:
                passed += done.returncode == 0
        ended = time.perf_counter()
        return {"compile_s": compiled - started, "run_s": ended - compiled, "passed": passed}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("jobs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--flags", choices=("sandbox", "person"), default="sandbox")
    args = parser.parse_args()
    global FLAGS
    FLAGS = args.flags
    with open(args.jobs) as fh:
        jobs = json.load(fh)
    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        done = list(pool.map(run_job, jobs))
    wall = time.perf_counter() - started
    errors = [d["error"] for d in done if "error" in d]
    print(
        json.dumps(
            {
                "wall_s": wall,
                "compile_s": sum(d["compile_s"] for d in done),
                "run_s": sum(d["run_s"] for d in done),
                "passed": sum(d["passed"] for d in done),
                "errors": errors[:3],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
