"""The language catalogue (catalogue.json beside this file): one place that says which languages
/code runs, which image family runs each, and each toolchain's pin and dialect.

Readers: scripts/build_images.sh and both Dockerfiles (through the command line below), the
image build (native/prepare.py) and the runner (native/languages.py). The service keeps its own
names in reward_service/languages.py (it is installed without sandbox_images/);
tests/sandbox_images/test_catalogue.py fails when the two disagree. Standard library only, and
runnable as a plain script (no package imports), so a Dockerfile or the build script can ask it
before anything else is installed:

    python3 catalogue.py families             # python cpp java node go rust
    python3 catalogue.py languages cpp        # c cpp
    python3 catalogue.py packages cpp         # gcc-14 g++-14 libc6-dev libboost-dev
    python3 catalogue.py get debian.suite     # trixie
    python3 catalogue.py check-python         # exit 1 unless this python3 is the pinned one

>>> packages("go")
['golang-1.24-go', 'golang-github-stretchr-testify-dev']
>>> family_of("typescript"), toolchain("typescript")
('node', 'TypeScript 5.9.3')
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from typing import Any

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue.json")


@cache
def load() -> dict[str, Any]:
    with open(PATH) as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def families() -> list[str]:
    return list(load()["families"])


def languages(family: str | None = None) -> list[str]:
    """Every language, in the service's order, or those of one family."""
    entries = load()["languages"]
    return [name for name, entry in entries.items() if family in (None, entry["family"])]


def family_of(language: str) -> str:
    family: str = load()["languages"][language]["family"]
    return family


def _fill(template: str, family: str) -> str:
    """A template with the family's `{version}` and the vendored versions (`{typescript}`)."""
    values = {"version": load()["families"][family]["version"]}
    values |= {name: pin["version"] for name, pin in load()["vendored"].items()}
    return template.format(**{k: v for k, v in values.items() if k.isidentifier()})


def packages(family: str) -> list[str]:
    """The Debian packages of the family's toolchain (from the catalogue's suite)."""
    return [_fill(name, family) for name in load()["families"][family]["packages"]]


def setting(language: str, key: str) -> Any:
    """A language's entry (`flags`, `edition`, `compiler_options`...), templates filled in."""
    value = load()["languages"][language][key]
    return _fill(value, family_of(language)) if isinstance(value, str) else value


def toolchain(language: str) -> str:
    """How /healthz's toolchain for `language` must begin (`gcc 14`, `OpenJDK 21`)."""
    return str(setting(language, "toolchain"))


def vendored(family: str) -> dict[str, dict[str, Any]]:
    """The pinned registry packages a family's image is built from (fetched on the host)."""
    names = load()["families"][family].get("vendored", [])
    return {name: load()["vendored"][name] for name in names}


def get(dotted: str) -> Any:
    value: Any = load()
    for key in dotted.split("."):
        value = value[key]
    return value


def _check_python() -> int:
    """Whether this interpreter is the Python the catalogue pins for the Python image."""
    want = load()["families"]["python"]["version"]
    have = "{}.{}".format(*sys.version_info[:2])
    if have != want:
        print(f"this image's python3 is {have}; the catalogue pins Python {want}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    commands = {
        "families": lambda: families(),
        "languages": lambda *f: languages(*f),
        "packages": packages,
        "get": get,
    }
    if argv[:1] == ["check-python"]:
        return _check_python()
    if not argv or argv[0] not in commands:
        print(f"usage: catalogue.py {{{','.join(commands)},check-python}} [ARG]", file=sys.stderr)
        return 2
    result = commands[argv[0]](*argv[1:])
    print(" ".join(result) if isinstance(result, list) else result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
