"""One connection cap per model for a whole Ray share, shared by every worker.

`ConnectionLimiter` is a Ray actor holding, per model, a count of connections in use and
a queue of waiters. Every worker's Inspect asks it for a slot before each model call and
gives the slot back after, so N workers together never hold more than the cap, and a slot
freed by a worker that has run out of samples goes at once to a worker that still has some.

In a worker, `install_limiter` plugs a registry into Inspect's concurrency system (its
documented extension point for cross-process semaphores) for the next evaluations: the
connection semaphore of a capped model then takes a local slot and a slot of the actor.
"""

import asyncio
import collections
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from inspect_ai.hooks import Hooks, RunStart, hooks

Holder = str


class ConnectionLimiter:
    """Counts connections in use per model across workers (the body of a Ray actor)."""

    def __init__(self, caps: dict[str, int]) -> None:
        self._caps = dict(caps)
        self._used = dict.fromkeys(caps, 0)
        self._peak = dict.fromkeys(caps, 0)
        self._held: collections.Counter[tuple[Holder, str]] = collections.Counter()
        self._waiting: dict[str, collections.deque[tuple[asyncio.Future[None], Holder]]] = {
            key: collections.deque() for key in caps
        }

    async def acquire(self, key: str, holder: Holder) -> None:
        """Wait for a slot of `key`, then hold it on behalf of `holder`."""
        if self._used[key] < self._caps[key]:
            self._take(key, holder)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[key].append((waiter, holder))
        await waiter  # the releasing call hands its slot over

    async def release(self, key: str, holder: Holder) -> None:
        """Give back one slot of `key` held by `holder`."""
        if self._held[holder, key] > 0:
            self._held[holder, key] -= 1
            self._used[key] -= 1
            self._hand_over(key)

    async def release_holder(self, holder: Holder) -> None:
        """Give back every slot `holder` holds: a worker process that died held them."""
        for (owner, key), count in list(self._held.items()):
            if owner == holder and count:
                self._held[owner, key] = 0
                self._used[key] -= count
                for _ in range(count):
                    self._hand_over(key)

    async def stats(self) -> dict[str, dict[str, int]]:
        """Cap, slots in use now and at peak, per model."""
        return {
            k: {"cap": c, "used": self._used[k], "peak": self._peak[k]}
            for k, c in self._caps.items()
        }

    def _take(self, key: str, holder: Holder) -> None:
        self._used[key] += 1
        self._held[holder, key] += 1
        self._peak[key] = max(self._peak[key], self._used[key])

    def _hand_over(self, key: str) -> None:
        queue = self._waiting[key]
        while queue and self._used[key] < self._caps[key]:
            waiter, holder = queue.popleft()
            if not waiter.done():  # a cancelled waiter gave up its turn
                self._take(key, holder)
                waiter.set_result(None)


@dataclass(frozen=True)
class LimiterLink:
    """What a worker needs to go through the limiter: the actor and the capped models."""

    actor: Any
    holder: Holder
    keys: dict[str, str]
    """Limiter key (the protocol's model id) per Inspect model name, as Inspect names the
    connection semaphore of the model."""


_link: LimiterLink | None = None


def install_limiter(link: LimiterLink | None) -> None:
    """Route the connections of this process's next evaluations through `link`."""
    global _link
    _link = link


class _SharedSlot:
    """A local slot, then a slot of the shared limiter; released in the reverse order."""

    def __init__(
        self, local: contextlib.AbstractAsyncContextManager[Any], link: LimiterLink, key: str
    ) -> None:
        self._local, self._link, self._key = local, link, key

    async def __aenter__(self) -> None:
        await self._local.__aenter__()
        try:
            await self._link.actor.acquire.remote(self._key, self._link.holder)
        except BaseException:
            await self._local.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *args: Any) -> None:
        self._link.actor.release.remote(self._key, self._link.holder)  # no need to wait
        await self._local.__aexit__(None, None, None)


class _SharedSemaphore:
    def __init__(self, inner: Any, link: LimiterLink, key: str) -> None:
        self._inner = inner
        self.name: str = inner.name
        self.visible: bool = inner.visible
        self.semaphore = _SharedSlot(inner.semaphore, link, key)

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
            self._shared[local] = _SharedSemaphore(inner, self._link, self._link.keys[name])
        return self._shared[local]

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
