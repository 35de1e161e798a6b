"""confine.shed_environment: PID 1's environment block is emptied by starting again, once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUNNER_ROOT = Path(__file__).resolve().parents[3] / "sandbox_images"
SHED = (
    "import json, os, sys\n"
    f"sys.path.insert(0, {str(RUNNER_ROOT)!r})\n"
    "from sandbox_runner.confine import shed_environment\n"
    "shed_environment()\n"
    "block = open('/proc/self/environ', 'rb').read()\n"
    "print(json.dumps({'block': block.decode(), 'environ': dict(os.environ), 'argv': sys.argv}))\n"
)


def test_the_environment_block_and_os_environ_end_empty_and_the_arguments_survive() -> None:
    env = {"SECRET_TOKEN": "s3cret", "PATH": "/usr/bin:/bin", "LANG": "C"}
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", SHED, "--uid", "7"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,  # a process that keeps starting itself again would never print
        check=True,
    )
    seen = json.loads(done.stdout)
    assert seen == {"block": "", "environ": {}, "argv": ["-c", "--uid", "7"]}
