"""The share-wide connection limiter: never over the cap, slots handed on, dead holders freed.

The lease pools of simulated workers run against the actor class directly, in one event
loop (the actor is a plain class; Ray only carries the calls).
"""

import asyncio
import random

import pytest

from accord._util import OperationError
from accord.run._ray_lease import LeasePool
from accord.run._ray_limit import ConnectionLimiter, idle_slots


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


def test_a_dead_holders_waiting_request_ends_without_taking_a_slot() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 1})
        assert await limiter.acquire_many("m", "live", 5) == 1  # what is free, not more
        waiting = asyncio.ensure_future(limiter.acquire_many("m", "dead", 3))
        await asyncio.sleep(0.01)
        await limiter.release_holder("dead")
        assert await asyncio.wait_for(waiting, 1) == 0
        await limiter.release_many("m", "live", 1)
        assert (await limiter.stats())["m"]["used"] == 0  # not handed to the dead holder

    asyncio.run(scenario())


def test_a_cancelled_request_at_the_actor_takes_no_slot() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 2})
        assert await limiter.acquire_many("m", "a", 2) == 2
        cancelled = asyncio.ensure_future(limiter.acquire_many("m", "b", 1))
        later = asyncio.ensure_future(limiter.acquire_many("m", "c", 4))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        await limiter.release_many("m", "a", 2)
        assert await asyncio.wait_for(later, 1) == 2  # both slots, none kept for "b"
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    asyncio.run(scenario())


def pool_of(limiter: ConnectionLimiter, holder: str, keep: int) -> LeasePool:
    return LeasePool(
        lambda want: limiter.acquire_many("m", holder, want),
        lambda count: limiter.release_many("m", holder, count),
        keep,
    )


def test_workers_reuse_leased_slots_under_the_cap_and_give_them_all_back() -> None:
    cap, workers, calls_per_worker = 6, 3, 150

    async def scenario() -> None:
        rng = random.Random(19)
        limiter = ConnectionLimiter({"m": cap})
        pools = [pool_of(limiter, f"w{n}", idle_slots(cap, workers)) for n in range(workers)]
        active = peak = cancelled = 0

        async def call(pool: LeasePool) -> None:
            nonlocal active, peak
            await asyncio.sleep(rng.random() * 0.02)  # samples start at different times
            await pool.acquire()
            try:
                active += 1
                peak = max(peak, active)
                assert sum(p.leased for p in pools) <= cap
                await asyncio.sleep(rng.random() * 0.005)  # the model call
            finally:
                active -= 1
                pool.release()

        async def worker(pool: LeasePool) -> None:
            nonlocal cancelled
            tasks = [asyncio.ensure_future(call(pool)) for _ in range(calls_per_worker)]
            await asyncio.sleep(0.01)
            for task in rng.sample(tasks, 10):  # some calls cancelled, waiting or running
                cancelled += task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await pool.close()  # the worker's evaluation ends

        await asyncio.wait_for(asyncio.gather(*(worker(p) for p in pools)), 30)
        stats, counts = (await limiter.stats())["m"], await limiter.calls()
        assert peak == cap and stats["peak"] == cap  # full use of the cap, never more
        assert stats["used"] == 0, "a slot was not given back"
        assert all(p.leased == p.in_use == 0 for p in pools)
        assert cancelled > 0
        # Far fewer actor calls than model calls (two per call without leases).
        assert counts["acquire"] + counts["release"] < workers * calls_per_worker // 4

    asyncio.run(scenario())


def test_a_worker_out_of_calls_frees_its_surplus_for_one_that_waits() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 4})
        busy, idle = pool_of(limiter, "busy", 1), pool_of(limiter, "idle", 1)
        for _ in range(4):
            await idle.acquire()
        waiting = [asyncio.ensure_future(busy.acquire()) for _ in range(3)]
        await asyncio.sleep(0.01)
        assert not any(w.done() for w in waiting), "over the cap"
        for _ in range(4):
            idle.release()  # no call waits on this worker: it keeps one idle slot
        await asyncio.wait_for(asyncio.gather(*waiting), 1)
        assert (idle.leased, idle.in_use, busy.in_use) == (1, 0, 3)
        await idle.close()
        for _ in range(3):
            busy.release()
        await busy.close()
        assert (await limiter.stats())["m"] == {"cap": 4, "used": 0, "peak": 4}

    asyncio.run(scenario())


def test_a_call_cancelled_while_its_worker_waits_leaks_no_slot() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 1})
        first, second = pool_of(limiter, "a", 1), pool_of(limiter, "b", 1)
        await first.acquire()
        waiting = asyncio.ensure_future(second.acquire())
        await asyncio.sleep(0.01)  # its request waits at the actor
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        first.release()
        await first.close()
        await asyncio.sleep(0.01)  # the request is granted: the slot is idle, not lost
        assert (second.leased, second.in_use) == (1, 0)
        await second.close()
        await asyncio.sleep(0)
        assert (await limiter.stats())["m"]["used"] == 0

    asyncio.run(scenario())


def test_closing_a_pool_whose_request_waits_at_the_actor_leaves_no_slot_granted() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 2})
        busy, ended = pool_of(limiter, "busy", 2), pool_of(limiter, "ended", 2)
        await busy.acquire()
        await busy.acquire()
        waiting = asyncio.ensure_future(ended.acquire())
        await asyncio.sleep(0.01)  # its request waits at the actor for a free slot
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.wait_for(ended.close(), 1)  # does not wait for the busy worker
        busy.release()
        busy.release()
        await busy.close()
        # Checked at once: nothing is granted to the closed pool, nothing given back late.
        assert (ended.leased, ended.in_use) == (0, 0)
        assert (await limiter.stats())["m"]["used"] == 0

    asyncio.run(scenario())


def test_a_call_still_waiting_when_its_pool_closes_fails_clearly() -> None:
    async def scenario() -> None:
        limiter = ConnectionLimiter({"m": 1})
        holder, closing = pool_of(limiter, "holder", 1), pool_of(limiter, "closing", 1)
        await holder.acquire()
        waiting = asyncio.ensure_future(closing.acquire())
        await asyncio.sleep(0.01)
        await closing.close()
        with pytest.raises(OperationError, match="evaluation ended"):
            await asyncio.wait_for(waiting, 1)
        holder.release()
        await holder.close()
        assert (await limiter.stats())["m"]["used"] == 0

    asyncio.run(scenario())
