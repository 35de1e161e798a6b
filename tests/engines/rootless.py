"""A rootless Podman engine for tests: an unprivileged user, its `podman system service`, and the
sandbox images in that user's own store.

Run as root (CI is): the user is created once and kept (its image store too, so a second run
loads nothing), the engine is stopped and its containers removed when the context exits. Nothing
of ours runs as root on the scoring path: the engine, the service and the tests it runs are all
the user's processes; root only sets the user up and copies images into its store.

What the user must be able to read: an interpreter of this Python's minor version (the system
one: a pyenv interpreter under /root is not) and this checkout with its virtual environment. A
checkout under a directory the user cannot enter is bind-mounted read-only at /srv (and
unmounted afterwards).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.docker_support import skip_or_fail

USER = "reward-rootless"
SUBORDINATE = "200000-265535"  # 65,536 ids: 16,000 sandbox containers' worth of uids
REPO = Path(__file__).resolve().parents[2]
VIEW = Path("/srv/reward-rootless")
STORAGE_CONF = '[storage]\ndriver = "overlay"\n'  # native rootless overlay (kernel >= 5.13)
# gVisor for the user's engine (REWARD_SANDBOX_RUNTIME=runsc): a rootless runsc may set up no
# cgroup and must not try to give the sandbox a network of its own
RUNSC_WRAPPER = """#!/bin/sh
exec /usr/bin/runsc --ignore-cgroups --network=none "$@"
"""


@dataclass
class RootlessEngine:
    """A running rootless Podman: its socket's URL, and how to run things as its user."""

    user: str
    uid: int
    url: str
    python: str  # an interpreter the user can run
    repo: Path  # this checkout, as the user sees it
    pythonpath: str
    service: subprocess.Popen[bytes] | None = None  # `podman system service`

    def start(self, runtime: str = "") -> None:
        """Starts the engine; `runtime` makes that OCI runtime its containers' (`runsc`)."""
        self.service = start_engine(self, runtime)

    def stop(self) -> None:
        """Kills the API service (what an engine crash looks like to the service)."""
        if self.service is not None:
            os.killpg(self.service.pid, 9)
            self.service.wait()
            self.service = None

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a process of the user's gets: its own HOME and runtime dir, the
        engine as both the service's and the Docker SDK's (the tests') engine."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": pwd.getpwnam(self.user).pw_dir,
            "USER": self.user,
            "XDG_RUNTIME_DIR": f"/run/user/{self.uid}",
            "PYTHONPATH": self.pythonpath,
            "PYTHONDONTWRITEBYTECODE": "1",  # the checkout is root's
            "REWARD_SANDBOX_ENGINE_URL": self.url,
            "DOCKER_HOST": self.url,
            **extra,
        }

    def run(
        self, *command: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Runs `command` as the user (runuser drops every privilege before exec)."""
        return subprocess.run(
            self.as_user(*command, env=env),
            text=True,
            capture_output=True,
            cwd=self.repo,
            timeout=timeout,
        )

    def as_user(self, *command: str, env: dict[str, str] | None = None) -> list[str]:
        """The argv that runs `command` as the user, in `env()` plus `env` and nothing else."""
        variables = [f"{key}={value}" for key, value in self.env(**(env or {})).items()]
        return ["runuser", "-u", self.user, "--", "env", "-i", *variables, *command]


def problem() -> str | None:
    """Why a rootless engine can't be set up here, or None."""
    if os.geteuid() != 0:
        return "setting up the rootless user needs root (CI runs as root)"
    tools = ("podman", "newuidmap", "runuser", "docker")
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        return f"missing {', '.join(missing)}: apt-get install podman uidmap (see .ci/run)"
    return None


@contextmanager
def rootless_podman(images: Sequence[str]) -> Iterator[RootlessEngine]:
    """The user's engine, serving `images` (copied from Docker's store when missing)."""
    why = problem()
    if why:
        skip_or_fail(why)
    uid = ensure_user()
    with user_view() as (repo, pythonpath):
        python = user_python(uid)
        url = f"unix:///run/user/{uid}/podman/podman.sock"
        engine = RootlessEngine(USER, uid, url, python, repo, pythonpath)
        load_images(engine, images)
        engine.start()
        try:
            yield engine
        finally:
            engine.stop()
            # the pools remove their containers; this sweeps what a failed test left behind
            engine.run("podman", "rm", "--force", "--all", timeout=120)
            end_processes_of(uid)


def end_processes_of(uid: int) -> None:
    """Kills what is left of the user's (Podman's pause process, a conmon or `runc init` of a
    container whose start was abandoned): the user exists for these tests alone."""
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, StopIteration, ValueError):
            lines = status.read_text().splitlines()
            real_uid = int(next(line for line in lines if line.startswith("Uid:")).split()[1])
            if real_uid == uid:
                os.kill(int(status.parent.name), 9)


def ensure_user() -> int:
    """Creates the user with a subordinate id range, once; returns its uid."""
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER], check=True)
        account = pwd.getpwnam(USER)
    for table, flag in (("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids")):
        if not any(line.startswith(f"{USER}:") for line in Path(table).read_text().splitlines()):
            subprocess.run(["usermod", flag, SUBORDINATE, USER], check=True)
    # what a login would give it (no systemd here): a private runtime dir for the socket
    runtime = Path(f"/run/user/{account.pw_uid}")
    runtime.mkdir(parents=True, exist_ok=True)
    os.chown(runtime, account.pw_uid, account.pw_gid)
    runtime.chmod(0o700)
    home = Path(account.pw_dir)
    wrapper = home / ".local/bin/runsc-rootless"
    files = {
        home / ".config/containers/storage.conf": STORAGE_CONF,
        home / ".config/containers/containers.conf": f'[engine.runtimes]\nrunsc = ["{wrapper}"]\n',
        wrapper: RUNSC_WRAPPER,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755 if path == wrapper else 0o644)
    for path in (home / ".config", home / ".local"):
        subprocess.run(["chown", "-R", f"{USER}:", str(path)], check=True)
    return account.pw_uid


def readable_by(uid: int, path: Path) -> bool:
    probe = ["runuser", "-u", pwd.getpwuid(uid).pw_name, "--", "test", "-r", str(path)]
    return subprocess.run(probe, capture_output=True).returncode == 0


@contextmanager
def user_view() -> Iterator[tuple[Path, str]]:
    """This checkout and its site-packages as the user can read them: (checkout, PYTHONPATH)."""
    uid = pwd.getpwnam(USER).pw_uid
    site = [Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")]
    paths = [REPO, *dict.fromkeys(site)]
    if all(readable_by(uid, path) for path in paths):
        yield REPO, os.pathsep.join(map(str, paths))
        return
    # a read-only bind mount: the user reaches the files without entering their parents
    views = [VIEW / str(n) for n in range(len(paths))]
    mounted: list[Path] = []
    try:
        for source, view in zip(paths, views, strict=True):
            view.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(view)], check=True)
            mounted.append(view)
        yield views[0], os.pathsep.join(map(str, views))
    finally:
        for view in reversed(mounted):
            subprocess.run(["umount", "--lazy", str(view)], check=False)


def user_python(uid: int) -> str:
    """An interpreter of this minor version the user may run (the venv's own may live under
    /root, e.g. pyenv's)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), f"/usr/bin/python{version}"):
        if readable_by(uid, Path(candidate)):
            return candidate
    skip_or_fail(f"no Python {version} the user {USER} can run: apt-get install python{version}")
    raise AssertionError("unreachable")


def load_images(engine: RootlessEngine, images: Sequence[str]) -> None:
    """Copies each image missing from the user's store out of Docker's (`docker save | podman
    load`, about 10 s for Python's and 1-2 min for all six on 2 cores)."""
    for image in images:
        if engine.run("podman", "image", "exists", image).returncode == 0:
            continue
        with tempfile.TemporaryFile() as archive:
            subprocess.run(["docker", "save", image], stdout=archive, check=True)
            archive.seek(0)
            loaded = subprocess.run(
                engine.as_user("podman", "load", "--quiet"),
                stdin=archive,
                capture_output=True,
                text=True,
                cwd="/",
            )
        if loaded.returncode != 0:
            raise RuntimeError(f"podman load {image} failed: {loaded.stderr[-2000:]}")


def start_engine(engine: RootlessEngine, runtime: str = "") -> subprocess.Popen[bytes]:
    """`podman system service` as the user, in a session of its own; waits for its socket."""
    socket_path = Path(engine.url.removeprefix("unix://"))
    with contextlib.suppress(FileNotFoundError):
        socket_path.unlink()  # a stale socket from a killed engine
    engine.run("mkdir", "-p", str(socket_path.parent))
    log_path = Path(tempfile.gettempdir()) / f"{engine.user}-podman-service.log"
    with log_path.open("wb") as log:  # the engine keeps its own copy of the descriptor
        service = subprocess.Popen(
            engine.as_user(
                "podman",
                *(("--runtime", runtime) if runtime else ()),
                *("system", "service", "--time=0", engine.url),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd="/",
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise RuntimeError(f"podman system service exited: {log_path.read_text()[-2000:]}")
        if engine.run("podman", "--remote", "--url", engine.url, "version").returncode == 0:
            return service
        time.sleep(0.3)
    os.killpg(service.pid, 9)
    raise RuntimeError("podman system service did not answer within 60 s")
