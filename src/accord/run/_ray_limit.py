"""One connection cap per model for a whole Ray share, shared by every worker.

`ConnectionLimiter` is a Ray actor holding, per model, the count of connection slots leased
to workers and a queue of waiting requests, so N workers together never hold more than the
cap. Each worker leases slots in batches and reuses them for its model calls
(`_ray_lease.LeasePool`): the common path sends the actor no message. A worker gives back
the idle slots it does not keep, so a worker that has run out of samples frees them for
workers that still have some, and every slot when its evaluation ends.

In a worker, `install_limiter` plugs a registry into Inspect's concurrency system (its
documented extension point for cross-process semaphores) for the next evaluations: the
connection semaphore of a capped model then takes a local slot and a slot of the pool.
"""

import asyncio
import collections
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from inspect_ai.hooks import Hooks, RunEnd, RunStart, hooks

from ._ray_lease import LeasePool

Holder = str


class ConnectionLimiter:
    """Counts connections leased per model across workers (the body of a Ray actor).

    Its counts are authoritative: the slots leased to all holders together never exceed a
    model's cap. Workers lease slots in batches (`acquire_many`) and give them back in
    batches (`release_many`), reusing them locally in between (`LeasePool`).
    """

    def __init__(self, caps: dict[str, int]) -> None:
        self._caps = dict(caps)
        self._used = dict.fromkeys(caps, 0)
        self._peak = dict.fromkeys(caps, 0)
        self._held: collections.Counter[tuple[Holder, str]] = collections.Counter()
        self._waiting: dict[str, collections.deque[_Waiter]] = {
            key: collections.deque() for key in caps
        }
        self._calls = {"acquire": 0, "release": 0}

    async def acquire_many(self, key: str, holder: Holder, want: int) -> int:
        """Lease up to `want` slots of `key` to `holder`; how many it got.

        At least one: when none is free, waits for one (and takes up to `want` of what
        comes back then). Zero only when `release_holder(holder)` ended the wait.
        """
        self._calls["acquire"] += 1
        want = max(1, want)
        free = self._caps[key] - self._used[key]
        if free > 0:  # then no waiter is owed a slot: releases hand them over at once
            return self._take(key, holder, min(want, free))
        waiter = _Waiter(asyncio.get_running_loop().create_future(), holder, want)
        self._waiting[key].append(waiter)
        try:
            return await waiter.granted  # a release hands its slots over
        except asyncio.CancelledError:
            # Cancelled just after the slots were handed over: they are not lost.
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._give_back(key, holder, waiter.granted.result())
            raise

    async def acquire(self, key: str, holder: Holder) -> None:
        """Wait for one slot of `key`, then hold it on behalf of `holder`."""
        await self.acquire_many(key, holder, 1)

    async def release_many(self, key: str, holder: Holder, count: int) -> None:
        """Give back `count` slots of `key` leased by `holder` (at most what it holds)."""
        self._calls["release"] += 1
        self._give_back(key, holder, count)

    async def release(self, key: str, holder: Holder) -> None:
        """Give back one slot of `key` held by `holder`."""
        await self.release_many(key, holder, 1)

    async def release_holder(self, holder: Holder) -> None:
        """Give back every slot `holder` holds and end its waits.

        For a worker process that died holding slots (or waiting for some), and for a
        worker whose evaluation ended.
        """
        self._calls["release"] += 1
        for queue in self._waiting.values():
            for waiter in [w for w in queue if w.holder == holder]:
                queue.remove(waiter)
                if not waiter.granted.done():
                    waiter.granted.set_result(0)
        for (owner, key), count in list(self._held.items()):
            if owner == holder and count:
                self._give_back(key, holder, count)

    async def stats(self) -> dict[str, dict[str, int]]:
        """Cap, slots leased now and at peak, per model."""
        return {
            k: {"cap": c, "used": self._used[k], "peak": self._peak[k]}
            for k, c in self._caps.items()
        }

    async def calls(self) -> dict[str, int]:
        """How many acquire and release calls the actor has served."""
        return dict(self._calls)

    def _take(self, key: str, holder: Holder, count: int) -> int:
        self._used[key] += count
        self._held[holder, key] += count
        self._peak[key] = max(self._peak[key], self._used[key])
        return count

    def _give_back(self, key: str, holder: Holder, count: int) -> None:
        count = min(count, self._held[holder, key])
        if count > 0:
            self._held[holder, key] -= count
            self._used[key] -= count
            self._hand_over(key)

    def _hand_over(self, key: str) -> None:
        queue = self._waiting[key]
        while queue and self._used[key] < self._caps[key]:
            waiter = queue.popleft()
            if not waiter.granted.done():  # a cancelled waiter gave up its turn
                free = self._caps[key] - self._used[key]
                waiter.granted.set_result(self._take(key, waiter.holder, min(waiter.want, free)))


@dataclass(frozen=True)
class _Waiter:
    granted: asyncio.Future[int]
    holder: Holder
    want: int


def idle_slots(cap: int, workers: int) -> int:
    """How many idle slots of a model a worker keeps: a quarter of its even share, >= 1.

    Enough that a worker whose calls come and go does not ask the actor at every call;
    few enough that slots a worker no longer needs soon serve the others.
    """
    return max(1, cap // (4 * max(1, workers)))


@dataclass(frozen=True)
class LimiterLink:
    """What a worker needs to go through the limiter: the actor and the capped models."""

    actor: Any
    holder: Holder
    keys: dict[str, str]
    """Limiter key (the protocol's model id) per Inspect model name, as Inspect names the
    connection semaphore of the model."""
    keep: dict[str, int]
    """Idle slots a worker keeps leased, per limiter key (`idle_slots`)."""

    def pool(self, key: str) -> LeasePool:
        """A pool of slots of `key` leased from the actor for this worker."""
        actor, holder = self.actor, self.holder
        return LeasePool(
            lambda want: actor.acquire_many.remote(key, holder, want),
            lambda count: actor.release_many.remote(key, holder, count),  # not waited for
            self.keep.get(key, 1),
        )


_link: LimiterLink | None = None


def install_limiter(link: LimiterLink | None) -> None:
    """Route the connections of this process's next evaluations through `link`."""
    global _link
    _link = link


class _SharedSlot:
    """A local slot, then a slot of the worker's lease pool; released in the reverse order."""

    def __init__(self, local: contextlib.AbstractAsyncContextManager[Any], pool: LeasePool) -> None:
        self._local, self._pool = local, pool

    async def __aenter__(self) -> None:
        await self._local.__aenter__()
        try:
            await self._pool.acquire()
        except BaseException:
            await self._local.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *args: Any) -> None:
        self._pool.release()
        await self._local.__aexit__(None, None, None)


class _SharedSemaphore:
    def __init__(self, inner: Any, pool: LeasePool) -> None:
        self._inner = inner
        self.name: str = inner.name
        self.visible: bool = inner.visible
        self.semaphore = _SharedSlot(inner.semaphore, pool)

    @property
    def concurrency(self) -> int:
        return int(self._inner.concurrency)

    @property
    def value(self) -> int:
        return int(self._inner.value)

    @property
    def in_use(self) -> int:
        return int(self._inner.in_use)


class _SharedRegistry:
    """Inspect's default registry, with the connection semaphores of capped models shared."""

    def __init__(self, inner: Any, link: LimiterLink) -> None:
        self._inner, self._link = inner, link
        self._shared: dict[str, _SharedSemaphore] = {}
        self._pools: dict[str, LeasePool] = {}

    async def get_or_create(
        self,
        name: str,
        concurrency: int,
        key: str | None,
        visible: bool,
        adaptive: Any = None,
        resizable: bool = False,
    ) -> Any:
        inner = await self._inner.get_or_create(
            name, concurrency, key, visible, adaptive, resizable
        )
        if adaptive is not None or name not in self._link.keys or not visible:
            return inner
        local = key or name
        if local not in self._shared:
            limited = self._link.keys[name]
            if limited not in self._pools:
                self._pools[limited] = self._link.pool(limited)
            self._shared[local] = _SharedSemaphore(inner, self._pools[limited])
        return self._shared[local]

    async def close(self) -> None:
        """Give the slots of every pool back to the limiter (the evaluation has ended)."""
        pools, self._pools, self._shared = self._pools, {}, {}  # a later call leases anew
        for pool in pools.values():
            await pool.close()

    def values(self) -> Iterable[Any]:
        values: Iterable[Any] = self._inner.values()
        return values


@hooks(name="accord_shared_connections", description="Accord: one connection cap per share")
class _InstallRegistry(Hooks):
    def enabled(self) -> bool:
        return _link is not None

    async def on_run_start(self, data: RunStart) -> None:
        # Inspect starts each evaluation with a fresh registry, before this event.
        from inspect_ai.util import _concurrency

        if _link is not None and not isinstance(
            _concurrency._concurrency_registry, _SharedRegistry
        ):
            _concurrency._concurrency_registry = _SharedRegistry(
                _concurrency._concurrency_registry, _link
            )

    async def on_run_end(self, data: RunEnd) -> None:
        # Also when the run failed or was cancelled (Inspect shields this event then).
        from inspect_ai.util import _concurrency

        registry = _concurrency._concurrency_registry
        if isinstance(registry, _SharedRegistry):
            await registry.close()
