"""A sandboxed verifiable-reward service for GRPO training.

`reward_service.app.create_app(settings)` builds the FastAPI app; `reward_service.rewards` holds
the pure scoring functions; `reward_service.sandbox` runs untrusted programs in locked-down
containers. Importing this package imports nothing heavy.
"""

__version__ = "0.1.0"
