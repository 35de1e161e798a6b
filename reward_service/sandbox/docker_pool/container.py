"""One locked-down sandbox container and the framed stream to the runner inside it.

Blocking code: the pool calls it from worker threads (it is a `pool.Container`). The
container's main process is the runner (sandbox_images/sandbox_runner); we attach to its
stdin/stdout once, before start, and then exchange length-prefixed JSON frames, so a job costs
no `docker exec` and no container start. Docker multiplexes the attached stdout in its own
8-byte-header frames, unpacked here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import docker

from reward_service.sandbox.base import Job
from reward_service.sandbox.docker_pool.docker_errors import already_gone, docker_errors
from reward_service.sandbox.docker_pool.engine import ROOT_UIDS, UIDS_PER_CONTAINER
from reward_service.sandbox.errors import ContainerLost
from reward_service.sandbox.wire import RunnerReply, job_frame

logger = logging.getLogger(__name__)

LABEL = "reward-service.sandbox"
POOL_LABEL = "reward-service.pool"
FRAME = struct.Struct(">I")  # our frames: 4-byte big-endian length, then JSON
DOCKER_HEADER = struct.Struct(">BxxxI")  # Docker's: stream type, 3 pad bytes, length
MAX_REPLY_BYTES = 64 * 1024 * 1024
START_TIMEOUT_S = 30.0
TMPFS_INODES = 8192  # files and directories per writable dir
# the runner's own needs; sandbox_images/sandbox_runner/__init__.py says why
RUNNER_CAPABILITIES = ["SETUID", "SETGID", "KILL"]
# SysV IPC objects and POSIX message queues outlive a job and no reset can list them cheaply,
# so none can be created (multiprocessing's locks use /dev/shm, which the runner wipes)
NO_SYSV_IPC = {
    "kernel.shmmax": "0",
    "kernel.msgmni": "0",
    "kernel.sem": "0 0 0 0",
    "fs.mqueue.queues_max": "0",
}


@dataclass(frozen=True)
class ContainerSpec:
    """How every sandbox container is created; the per-job limits travel with each job."""

    image: str
    memory_mb: int
    tmpfs_mb: int = 64
    cpus: float = 1.0
    pids_limit: int = 128
    pool_id: str = field(default_factory=lambda: secrets.token_hex(4))
    # compiled languages run what they build in /tmp; elsewhere Docker's tmpfs default, noexec
    exec_tmp: bool = False
    runtime: str | None = None  # the engine's OCI runtime; `runsc` is gVisor
    # Podman (4.3) refuses nr_inodes among tmpfs options; there the memory limit alone bounds
    # the inodes' kernel memory (where it is enforced: engine.EngineInfo.limits_not_enforced)
    tmpfs_inodes: bool = True
    uid_first: int = ROOT_UIDS[0]  # the runner's uids: see UidSlots
    uid_count: int = ROOT_UIDS[1]

    def create(self, api: docker.APIClient, uid: int) -> str:
        """Creates (does not start) one container; returns its id."""
        memory = f"{self.memory_mb}m"
        host_config = api.create_host_config(
            network_mode="none",
            read_only=True,
            # Both writable dirs are capped in bytes and in inodes: empty files cost no bytes,
            # but each inode is kernel memory charged to the container, and without a cap a
            # program could fill it until the OOM killer took the runner (an infra_error).
            tmpfs={
                path: f"size={self.tmpfs_mb}m,mode=1777,nosuid,nodev"
                + (f",nr_inodes={TMPFS_INODES}" if self.tmpfs_inodes else "")
                + (",exec" if self.exec_tmp and path == "/tmp" else "")
                for path in ("/tmp", "/dev/shm")
            },
            mem_limit=memory,
            memswap_limit=memory,  # equal: no swap
            # gVisor's own threads count against a pids limit (a forking runner was killed
            # after a few programs): under runsc, RLIMIT_NPROC per job bounds processes alone
            pids_limit=None if self.runtime == "runsc" else self.pids_limit,
            nano_cpus=int(self.cpus * 1e9),
            cap_drop=["ALL"],
            cap_add=RUNNER_CAPABILITIES,
            security_opt=["no-new-privileges"],
            sysctls=NO_SYSV_IPC,
            log_config={"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}},
            runtime=self.runtime,
        )
        created = api.create_container(
            image=self.image,
            command=["--uid", str(uid), "--judge-uid", str(uid + 1), "--server-uid", str(uid + 2)],
            stdin_open=True,  # with detach=False the SDK sets StdinOnce: when the service goes
            detach=False,  # away, the runner reads EOF and the container exits
            tty=False,
            environment={},
            use_config_proxy=False,  # no proxy variables from ~/.docker/config.json either
            user="0:0",
            hostname="sandbox",
            # nothing in a runner is worth a graceful stop: `docker stop` and an engine shutdown
            # take no 10 s grace period per container
            stop_signal="SIGKILL",
            labels={LABEL: "1", POOL_LABEL: self.pool_id},
            host_config=host_config,
        )
        return str(created["Id"])


class UidSlots:
    """The runner's uids, four a container (RLIMIT_NPROC counts per uid across the whole
    kernel): the program's, then the judge's (or a compiled language's build), then a warm
    compiler's, so the program can neither signal nor read them. Drawn at random from `count`
    uids from `first`, and never one a live container of this process holds: in a rootless
    engine's subordinate range (about 16,000 slots) a pool of 64 would otherwise share a
    program uid, and so one program's process limit, about one time in eight. Thread-safe."""

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._lock = threading.Lock()

    def take(self, first: int = ROOT_UIDS[0], count: int = ROOT_UIDS[1]) -> int:
        slots = count // UIDS_PER_CONTAINER
        with self._lock:
            if sum(first <= uid < first + count for uid in self._taken) >= slots:
                raise ContainerLost(f"every one of the {slots} uid slots is in use")
            while True:
                uid = first + UIDS_PER_CONTAINER * secrets.randbelow(slots)
                if uid not in self._taken:
                    self._taken.add(uid)
                    return uid

    def release(self, uid: int) -> None:
        with self._lock:
            self._taken.discard(uid)


UID_SLOTS = UidSlots()


class SandboxContainer:
    """A started container with an open stream to its runner. Not thread-safe: one job at a time."""

    def __init__(self, client: docker.DockerClient, spec: ContainerSpec) -> None:
        self.uid = UID_SLOTS.take(spec.uid_first, spec.uid_count)
        self.jobs_done = 0
        self._client = client
        self._buffer = bytearray()
        try:
            with docker_errors("create sandbox container"):
                self.id = spec.create(client.api, self.uid)
        except BaseException:
            UID_SLOTS.release(self.uid)
            raise
        self.short_id = self.id[:12]
        try:
            with docker_errors("attach to sandbox container"):
                attached = client.api.attach_socket(
                    self.id, params={"stdin": 1, "stdout": 1, "stream": 1}
                )
                self._attached = attached  # keeps the HTTP response (and socket) alive
                self._sock: socket.socket = getattr(attached, "_sock", attached)
                client.api.start(self.id)
            hello = self._read_frame(time.monotonic() + START_TIMEOUT_S)
            if not hello.get("ready"):
                raise ContainerLost(f"runner did not start: {hello}")
            toolchain = hello.get("toolchain")
            # language -> version, as the image recorded it when it was built
            self.toolchain: dict[str, str] = {str(k): str(v) for k, v in (toolchain or {}).items()}
        except BaseException:
            self.remove()
            raise
        logger.debug("sandbox container %s up (uid %d)", self.short_id, self.uid)

    def run(self, job: Job) -> RunnerReply:
        """Sends one job and waits for its reply; ContainerLost if the runner fails to answer."""
        job_id = secrets.token_hex(8)
        body = json.dumps(job_frame(job, job_id)).encode()
        backstop_s = job.backstop_s()
        with docker_errors("send job"):
            self._sock.settimeout(backstop_s)
            self._sock.sendall(FRAME.pack(len(body)) + body)
        reply = RunnerReply.parse(self._read_frame(time.monotonic() + backstop_s), job_id)
        self.jobs_done += 1
        return reply

    def looks_alive(self) -> bool:
        """For an idle container: its runner's stream is quiet. A killed container (or a lost
        engine) shows as end-of-file, and an idle runner never writes, so anything readable
        means the container is gone or broken. One non-blocking syscall, safe on the loop."""
        if self._buffer:
            return False
        # poll, not select: select cannot watch descriptors numbered 1024 and above.
        poller = select.poll()
        try:
            poller.register(self._sock, select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):  # closed socket
            return False

    def remove(self) -> None:
        """Kills and deletes the container; best effort (it may already be gone)."""
        UID_SLOTS.release(self.uid)
        with contextlib.suppress(AttributeError, OSError):
            self._sock.close()
        try:
            with docker_errors("remove sandbox container"):
                self._client.api.remove_container(self.id, force=True, v=True)
        except ContainerLost as exc:
            if not already_gone(exc):
                logger.warning("could not remove sandbox container %s: %s", self.short_id, exc)
        except Exception as exc:
            logger.warning("could not remove sandbox container %s: %s", self.short_id, exc)

    # --- stream decoding ------------------------------------------------------------------

    def _read_frame(self, deadline: float) -> dict[str, Any]:
        (size,) = FRAME.unpack(self._read_payload(FRAME.size, deadline))
        if size > MAX_REPLY_BYTES:
            raise ContainerLost(f"runner sent a {size}-byte frame")
        try:
            message = json.loads(self._read_payload(size, deadline))
        except ValueError as exc:
            raise ContainerLost(f"runner sent invalid JSON: {exc}") from exc
        if not isinstance(message, dict):
            raise ContainerLost("runner sent a non-object frame")
        return message

    def _read_payload(self, size: int, deadline: float) -> bytes:
        """`size` bytes of the runner's stdout, taken out of Docker's stream frames."""
        while len(self._buffer) < size:
            stream, length = DOCKER_HEADER.unpack(self._recv_exact(DOCKER_HEADER.size, deadline))
            chunk = self._recv_exact(length, deadline)
            if stream == 1:  # stdout; stderr is not attached, stdin never echoes
                self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _recv_exact(self, size: int, deadline: float) -> bytes:
        chunks = []
        with docker_errors("read from runner"):
            while size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ContainerLost("runner did not answer in time")
                self._sock.settimeout(remaining)
                chunk = self._sock.recv(min(size, 1 << 20))
                if not chunk:
                    raise ContainerLost("runner closed its stream (container exited)")
                chunks.append(chunk)
                size -= len(chunk)
        return b"".join(chunks)
