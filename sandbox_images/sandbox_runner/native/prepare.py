"""Image build step: `python3 prepare.py FAMILY` (see sandbox_images/native/Dockerfile).

Makes what the runner needs at run time under /opt/sandbox/support, once, while the image is
built (the root filesystem is read-only in a sandbox):
- cpp: the harness wrapper object (wrap_main.o), the launcher (launch.c: tests start through
  posix_spawn) and bits/stdc++.h precompiled with the flags programs are compiled with (the
  catalogue's, for each dialect its `precompiled` names, the default among them, so g++ then
  reads one file instead of parsing 50 000 lines);
- rust: the harness wrapper object and the launcher;
- java: RewardMain.class, the warm javac (JavacServer.class), and java.base's packages with
  their class names (to refuse a program class that hides one the harness uses);
- node: `node` on PATH from the vendored Node.js (/opt/vendor, fetched on the host by
  scripts/fetch_vendored.py), the harness preload, TypeScript's ambient declarations and its
  warm compiler;
- go: links to the compiler and linker, the standard library compiled once (Go ships no
  precompiled packages since 1.20) and testify (with its dependencies) compiled against it, and
  the importcfg that maps each package to its archive, so a test build compiles the test's
  package only;
and records the toolchain versions in /opt/sandbox/toolchain.json (reported by /healthz),
refusing to finish when one is not the version the language catalogue (catalogue.json) pins.
Standard library only; the support files and the catalogue sit next to this script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

try:
    import catalogue  # beside this script at image build (native/Dockerfile copies it there)
except ImportError:  # imported from the source tree (tests)
    from sandbox_runner import catalogue

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = "/opt/sandbox/support"
VENDOR = "/opt/vendor"  # the family's registry packages (native/Dockerfile)
GO_PACKAGES = ("github.com/stretchr/testify/assert", "github.com/stretchr/testify/require")


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


def wrap_main(gcc: str = "gcc") -> None:
    source = support_file("wrap_main.c")
    sh(gcc, "-O2", "-fPIC", "-c", source, "-o", os.path.join(SUPPORT, "wrap_main.o"))
    launcher = support_file("launch.c")
    sh(gcc, "-O2", "-Wall", "-Werror", launcher, "-o", os.path.join(SUPPORT, "launch"))


def prepare_cpp() -> dict:
    gcc, gxx = catalogue.setting("c", "compiler"), catalogue.setting("cpp", "compiler")
    wrap_main(gcc)
    found = [
        os.path.join(root, "stdc++.h")
        for root, _, files in os.walk("/usr/include")
        if "stdc++.h" in files and root.endswith("/bits")
    ]
    # one precompiled header per dialect the catalogue names, in a directory g++ searches for
    # the one valid for the program's flags (any other dialect parses the header itself), and
    # the header beside them: a program that includes it again after `-include`
    # (languages.py) reads it from there
    target = f"{SUPPORT}/pch/bits/stdc++.h.gch"
    for dialect in catalogue.setting("cpp", "precompiled") if found else ():
        os.makedirs(target, exist_ok=True)
        flags = [*catalogue.setting("cpp", "flags"), f"-std={dialect}"]
        sh(gxx, *flags, "-x", "c++-header", found[0], "-o", f"{target}/{dialect}.gch")
    if found:
        os.symlink(found[0], f"{SUPPORT}/pch/bits/stdc++.h")
    c_version, cpp_version = (
        first_version(sh(gcc, "--version")),
        first_version(sh(gxx, "--version")),
    )
    return {"c": f"gcc {c_version}", "cpp": f"g++ {cpp_version}"}


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
    node_binary = f"{VENDOR}/bin/node"
    typescript = f"{VENDOR}/node_modules/typescript"
    if not (os.path.exists(node_binary) and os.path.isdir(typescript)):
        raise SystemExit(
            f"{VENDOR} lacks Node.js or TypeScript: fetch them on the host first "
            "(scripts/build_images.sh, or scripts/build_images.sh --fetch node)"
        )
    os.chmod(node_binary, 0o755)
    os.symlink(node_binary, "/usr/local/bin/node")
    support_file("harness.js", "node")
    support_file("ambient.d.ts", "node")
    support_file("tsc_server.js", "node")
    node = first_version(sh("node", "--version"))
    with open(f"{typescript}/package.json") as fh:
        tsc = json.load(fh)["version"]
    return {"javascript": f"Node.js {node}", "typescript": f"TypeScript {tsc} (Node.js {node})"}


def prepare_go() -> dict:
    root = catalogue.setting("go", "root")
    go = f"{root}/bin/go"
    env = {"PATH": f"{root}/bin:/usr/bin:/bin", "GO111MODULE": "off", "HOME": "/tmp"}
    env |= {"GOPATH": "/usr/share/gocode", "GOCACHE": "/tmp/go-cache", "GOROOT": root}
    env |= {"CGO_ENABLED": "0"}  # the image has no C compiler; programs are pure Go
    tools = sh(go, "env", "GOTOOLDIR", env=env).strip()
    lib = f"{SUPPORT}/go/lib"
    os.makedirs(lib, exist_ok=True)
    for tool in ("compile", "link"):
        os.symlink(os.path.join(tools, tool), f"{SUPPORT}/go/{tool}")
    # the standard library, compiled by the go command once: each package's archive, copied
    # out of its cache, and the importcfg line that names it
    importcfg = []
    exported = sh(go, "list", "-export", "-f", "{{.ImportPath}}|{{.Export}}", "std", env=env)
    for line in filter(None, exported.splitlines()):
        path, archive = line.split("|")
        if not archive:
            continue
        target = os.path.join(f"{SUPPORT}/go/std", path + ".a")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(archive, target)
        importcfg.append(f"packagefile {path}={target}")
    template = '{{if not .Standard}}{{.ImportPath}}|{{.Dir}}|{{join .GoFiles " "}}{{end}}'
    listed = sh(go, "list", "-deps", "-f", template, *GO_PACKAGES, env=env)
    cfg = f"{SUPPORT}/go/importcfg"
    for line in filter(None, listed.splitlines()):  # dependencies come before their users
        path, directory, files = line.split("|")
        target = os.path.join(lib, path + ".a")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        sources = [os.path.join(directory, name) for name in files.split()]
        with open(cfg, "w") as fh:
            fh.write("\n".join(importcfg) + "\n")
        compile_ = [f"{tools}/compile", "-p", path, "-pack", "-importcfg", cfg, "-o", target]
        sh(*compile_, *sources, env=env)
        importcfg.append(f"packagefile {path}={target}")
    with open(cfg, "w") as fh:
        fh.write("\n".join(importcfg) + "\n")
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
    for language, found in versions.items():  # a toolchain the catalogue does not pin
        pinned = catalogue.toolchain(language)
        if not (found == pinned or found.startswith((f"{pinned}.", f"{pinned} "))):
            print(
                f"{language}: the image has {found}, the catalogue pins {pinned}", file=sys.stderr
            )
            return 1
    with open("/opt/sandbox/toolchain.json", "w") as fh:
        json.dump(versions, fh)
    print(f"prepared {family}: {versions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
