"""Image build step: `python3 prepare.py FAMILY` (see sandbox_images/native/Dockerfile).

Makes what the runner needs at run time under /opt/sandbox/support, once, while the image is
built (the root filesystem is read-only in a sandbox):
- cpp: the harness wrapper object (wrap_main.o), the launcher (launch.c: tests start through
  posix_spawn) and bits/stdc++.h precompiled with the flags programs are compiled with (g++
  then reads one file instead of parsing 50 000 lines);
- rust: the harness wrapper object and the launcher;
- java: RewardMain.class, the warm javac (JavacServer.class), and java.base's packages with
  their class names (to refuse a program class that hides one the harness uses);
- node: the harness preload, TypeScript's ambient declarations and its warm compiler;
- go: links to the compiler and linker, and testify (with its dependencies) compiled against the
  toolchain's own standard library, so a test build compiles the test's package only;
and records the toolchain versions in /opt/sandbox/toolchain.json (reported by /healthz).
Standard library only; the support files sit next to this script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = "/opt/sandbox/support"
GO_ROOT = "/usr/lib/go-1.19"
GO_PACKAGES = ("github.com/stretchr/testify/assert", "github.com/stretchr/testify/require")
CPP_FLAGS = ["-O2", "-std=gnu++17"]  # languages.build_c_family's, for the PCH


def sh(*argv: str, env: dict | None = None) -> str:
    done = subprocess.run(argv, check=True, capture_output=True, text=True, env=env)
    return done.stdout + done.stderr


def first_version(text: str) -> str:
    found = re.search(r"\d+\.\d+(?:\.\d+)?", text)
    return found.group(0) if found else text.strip().splitlines()[0]


def support_file(name: str, *into: str) -> str:
    target = os.path.join(SUPPORT, *into)
    os.makedirs(target, exist_ok=True)
    shutil.copy(os.path.join(HERE, name), target)
    return os.path.join(target, name)


def wrap_main() -> None:
    source = support_file("wrap_main.c")
    sh("gcc", "-O2", "-fPIC", "-c", source, "-o", os.path.join(SUPPORT, "wrap_main.o"))
    launcher = support_file("launch.c")
    sh("gcc", "-O2", "-Wall", "-Werror", launcher, "-o", os.path.join(SUPPORT, "launch"))


def prepare_cpp() -> dict:
    wrap_main()
    found = [
        os.path.join(root, "stdc++.h")
        for root, _, files in os.walk("/usr/include")
        if "stdc++.h" in files and root.endswith("/bits")
    ]
    if found:
        os.makedirs(f"{SUPPORT}/pch/bits", exist_ok=True)
        sh(
            "g++",
            *CPP_FLAGS,
            "-x",
            "c++-header",
            found[0],
            "-o",
            f"{SUPPORT}/pch/bits/stdc++.h.gch",
        )
    gcc, gxx = first_version(sh("gcc", "--version")), first_version(sh("g++", "--version"))
    return {"c": f"gcc {gcc}", "cpp": f"g++ {gxx}"}


def prepare_rust() -> dict:
    wrap_main()
    return {"rust": f"rustc {first_version(sh('rustc', '--version'))}"}


def prepare_java() -> dict:
    for name in ("RewardMain.java", "JavacServer.java"):
        source = support_file(name, "java")
        sh("javac", "-d", os.path.dirname(source), source)
        os.remove(source)
    os.makedirs(f"{SUPPORT}/java/nothing")  # the warm javac's class path: programs bring all
    java_home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("javac") or "")))
    listing = sh(os.path.join(java_home, "bin", "jimage"), "list", f"{java_home}/lib/modules")
    packages: dict[str, list[str]] = {}
    module = ""
    for line in listing.splitlines():
        if line.startswith("Module: "):
            module = line.split()[1]
        elif module == "java.base" and line.strip().endswith(".class"):
            path = line.strip()[: -len(".class")]
            package, _, name = path.rpartition("/")
            if "$" not in name and name not in ("module-info", "package-info"):
                packages.setdefault(package.replace("/", "."), []).append(name)
    with open(f"{SUPPORT}/java/packages.json", "w") as fh:
        json.dump(packages, fh)
    return {"java": f"OpenJDK {first_version(sh('java', '-version'))}"}


def prepare_node() -> dict:
    support_file("harness.js", "node")
    support_file("ambient.d.ts", "node")
    support_file("tsc_server.js", "node")
    node = first_version(sh("node", "--version"))
    tsc = first_version(sh("tsc", "--version"))
    return {"javascript": f"Node.js {node}", "typescript": f"TypeScript {tsc} (Node.js {node})"}


def prepare_go() -> dict:
    go = f"{GO_ROOT}/bin/go"
    env = {"PATH": f"{GO_ROOT}/bin:/usr/bin:/bin", "GO111MODULE": "off", "HOME": "/tmp"}
    env |= {"GOPATH": "/usr/share/gocode", "GOCACHE": "/tmp/go-cache", "GOROOT": GO_ROOT}
    tools = sh(go, "env", "GOTOOLDIR", env=env).strip()
    os.makedirs(f"{SUPPORT}/go/lib", exist_ok=True)
    for tool in ("compile", "link"):
        os.symlink(os.path.join(tools, tool), f"{SUPPORT}/go/{tool}")
    template = '{{if not .Standard}}{{.ImportPath}}|{{.Dir}}|{{join .GoFiles " "}}{{end}}'
    listed = sh(go, "list", "-deps", "-f", template, *GO_PACKAGES, env=env)
    lib = f"{SUPPORT}/go/lib"
    for line in filter(None, listed.splitlines()):  # dependencies come before their users
        path, directory, files = line.split("|")
        target = os.path.join(lib, path + ".a")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        sources = [os.path.join(directory, name) for name in files.split()]
        sh(f"{tools}/compile", "-p", path, "-pack", "-I", lib, "-o", target, *sources, env=env)
    std = sh(go, "list", "std", env=env).split()
    with open(f"{SUPPORT}/go/std.json", "w") as fh:  # names a harness may use as packages
        json.dump(sorted({path.rsplit("/", 1)[-1] for path in std if "internal" not in path}), fh)
    shutil.rmtree("/tmp/go-cache", ignore_errors=True)
    return {"go": f"go {first_version(sh(go, 'version', env=env))}"}


FAMILIES = {
    "cpp": prepare_cpp,
    "java": prepare_java,
    "node": prepare_node,
    "go": prepare_go,
    "rust": prepare_rust,
}


def main() -> int:
    family = sys.argv[1] if len(sys.argv) == 2 else ""
    if family not in FAMILIES:
        print(f"usage: prepare.py {{{','.join(FAMILIES)}}}", file=sys.stderr)
        return 2
    os.makedirs(SUPPORT, exist_ok=True)
    versions = FAMILIES[family]()
    with open("/opt/sandbox/toolchain.json", "w") as fh:
        json.dump(versions, fh)
    print(f"prepared {family}: {versions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
