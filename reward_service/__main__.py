"""`reward-service` / `python -m reward_service`: serve the app with uvicorn."""

from __future__ import annotations

import uvicorn

from reward_service.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "reward_service.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # reward_service.access logs one richer JSON line per request
        # Keep-alive longer than a trainer's generation step, so pooled connections stay open.
        timeout_keep_alive=120,
    )


if __name__ == "__main__":
    main()
