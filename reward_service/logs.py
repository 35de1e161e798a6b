"""Logging for the served process: plain lines for the code, bare JSON lines for requests."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    """Idempotent; called by the server factory in every worker process."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(getattr(h, "_reward_service", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._reward_service = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    access = logging.getLogger("reward_service.access")
    if not access.handlers:
        # One JSON object per line on stdout, ready for a log shipper.
        line_handler = logging.StreamHandler(sys.stdout)
        line_handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(line_handler)
        access.propagate = False
