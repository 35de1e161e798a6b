"""UidSlots: a live container's uid slot is never given to another container of the service."""

from __future__ import annotations

import pytest

from reward_service.sandbox.docker_pool.container import UidSlots
from reward_service.sandbox.errors import ContainerLost


def test_every_slot_of_a_small_range_is_given_once_then_none_until_one_is_released() -> None:
    slots = UidSlots()
    taken = [slots.take(1000, 64) for _ in range(16)]  # 64 uids: 16 slots of four
    assert sorted(taken) == list(range(1000, 1064, 4))
    with pytest.raises(ContainerLost, match="16 uid slots"):
        slots.take(1000, 64)
    slots.release(1020)
    assert slots.take(1000, 64) == 1020


def test_ranges_are_counted_apart() -> None:
    slots = UidSlots()
    for _ in range(4):
        slots.take(1000, 16)
    assert 2000 <= slots.take(2000, 16) < 2016  # another range is not full
