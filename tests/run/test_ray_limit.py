"""The share-wide connection limiter: never over the cap, slots handed on, dead holders freed."""

import asyncio

from accord.run._ray_limit import ConnectionLimiter


def test_the_cap_holds_and_a_freed_slot_goes_to_the_next_waiter() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 2})
        await limiter.acquire("m", "a")
        await limiter.acquire("m", "b")
        waiting = asyncio.ensure_future(limiter.acquire("m", "b"))
        await asyncio.sleep(0.01)
        assert not waiting.done(), "a third connection went over the cap of 2"
        await limiter.release("m", "a")  # the slot a worker no longer needs serves another
        await asyncio.wait_for(waiting, 1)
        stats = (await limiter.stats())["m"]
        assert stats == {"cap": 2, "used": 2, "peak": 2}

    asyncio.run(scenario())


def test_slots_of_a_dead_worker_are_released_and_unknown_releases_ignored() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 3, "n": 1})
        for _ in range(3):
            await limiter.acquire("m", "dead")
        await limiter.acquire("n", "dead")
        waiters = [asyncio.ensure_future(limiter.acquire("m", "live")) for _ in range(2)]
        await limiter.release("m", "never-held")  # changes nothing
        await asyncio.sleep(0.01)
        assert not any(w.done() for w in waiters)
        await limiter.release_holder("dead")  # its process died holding 4 slots
        await asyncio.wait_for(asyncio.gather(*waiters), 1)
        stats = await limiter.stats()
        assert stats["m"]["used"] == 2 and stats["n"]["used"] == 0

    asyncio.run(scenario())


def test_many_concurrent_callers_never_exceed_the_cap_and_all_finish() -> None:
    async def scenario() -> int:
        limiter = ConnectionLimiter({"m": 5})
        active = peak = 0

        async def call(n: int) -> None:
            nonlocal active, peak
            await limiter.acquire("m", f"worker-{n % 3}")
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.001 * (n % 4))
            active -= 1
            await limiter.release("m", f"worker-{n % 3}")

        await asyncio.wait_for(asyncio.gather(*(call(n) for n in range(200))), 10)
        assert (await limiter.stats())["m"]["used"] == 0
        return peak

    assert asyncio.run(scenario()) == 5  # full use of the cap, never more
