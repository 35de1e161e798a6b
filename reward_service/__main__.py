"""`reward-service` / `python -m reward_service`: serve the app with uvicorn."""

from __future__ import annotations

import gc

import uvicorn

from reward_service.settings import Settings

# A /code batch of EvalPlus calls is millions of small objects that live for one request: the
# collector's default pace (a young-generation pass every 700 allocations, full passes over all
# of them) cost about a third of the service's time on such batches.
GC_THRESHOLDS = (50_000, 20, 100)


def main() -> None:
    settings = Settings()
    gc.set_threshold(*GC_THRESHOLDS)
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
