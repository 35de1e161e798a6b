"""A warm pool of sandbox containers, independent of how containers are made (no Docker here).

`warm_pool.WarmPool` dispatches jobs, `healing.Healer` keeps the pool at its size, `lifecycle`
holds a member's states and their transitions, `idle.IdleQueue` the members that wait for a job.
"""

from reward_service.sandbox.pool.lifecycle import Container, ContainerState
from reward_service.sandbox.pool.warm_pool import ContainerFactory, WarmPool

__all__ = ["Container", "ContainerFactory", "ContainerState", "WarmPool"]
