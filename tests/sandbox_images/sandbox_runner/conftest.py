"""The runner is its own top-level package inside the image (`sandbox_runner`, standard library
only); its pure functions are tested here without Docker, from the image's source folder."""

from __future__ import annotations

import sys
from pathlib import Path

RUNNER_ROOT = Path(__file__).resolve().parents[3] / "sandbox_images"
if str(RUNNER_ROOT) not in sys.path:
    sys.path.insert(0, str(RUNNER_ROOT))
