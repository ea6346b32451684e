"""A worker's lease of connection slots from the share-wide limiter, reused locally.

Asking the limiter actor for a slot before every model call and giving it back after costs
two Ray calls per model call: most of the actor's CPU and a share of each worker's. A
`LeasePool` instead keeps the slots it got and lends them to the worker's calls, so the
common path (a call takes a slot the worker already holds) sends no message. The pool asks
the limiter only when its calls wait, and gives slots back when it holds more idle slots
than it keeps (a worker running out of samples frees them for the others) and at the end of
the evaluation.

It is plain asyncio: the limiter is reached through two callables, so it runs against the
actor class directly in tests.
"""

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable

from .._util import OperationError

Lease = Callable[[int], Awaitable[int]]
"""Asks the limiter for up to n slots; how many it granted (it waits for at least one)."""

GiveBack = Callable[[int], Awaitable[object]]
"""Gives n slots back to the limiter."""

LINGER = 0.1
"""Seconds idle slots beyond those a pool keeps wait for a call before going back."""


class LeasePool:
    """Slots of one model leased from the share's limiter, lent to this worker's calls.

    `leased` slots are held from the limiter, `in_use` of them by calls now. A call takes an
    idle leased slot when there is one; otherwise it waits while the pool asks the limiter
    for as many slots as calls are waiting (one request at a time). A released slot goes to
    a waiting call first; else the pool keeps up to `keep` idle slots and gives back, in one
    message, those beyond `keep` still idle `linger` seconds later (a call that starts just
    after another ended reuses its slot). The limiter's count stays authoritative: the pool
    holds only what it was granted. Call `close` when the evaluation ends.
    """

    def __init__(
        self, lease: Lease, give_back: GiveBack, keep: int, linger: float = LINGER
    ) -> None:
        self._lease, self._give_back, self._keep = lease, give_back, max(0, keep)
        self._linger = linger
        self._timer: asyncio.TimerHandle | None = None
        self.leased = 0
        self.in_use = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._request: asyncio.Future[int] | None = None
        self._returns: set[asyncio.Future[object]] = set()
        self._closed = False
        self._error: BaseException | None = None

    async def acquire(self) -> None:
        """Wait for a slot, then hold it until `release`.

        Raises:
            OperationError: When the pool was closed (its evaluation ended).

        """
        if self._closed:
            raise OperationError("connection slot asked for after the evaluation ended")
        if self.in_use < self.leased and not self._waiters:
            self.in_use += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._ask()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot as the call was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give back a slot a call held: to a waiting call, else kept or returned."""
        self.in_use -= 1
        self._serve()
        self._trim()

    async def close(self) -> None:
        """Give every idle slot back (and any slot released from now on).

        A lease request still out is cancelled: a call cancelled while it waited can leave
        one, and the limiter would otherwise grant it after the pool stopped counting. Calls
        still waiting fail with `OperationError`.

        Raises:
            Exception: What a message giving slots back failed with (the limiter is gone).

        """
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(OperationError("the evaluation ended while a call waited"))
        if self._request is not None:
            request = self._request
            request.cancel()  # a grant that already arrived is still counted, then given back
            await asyncio.wait([request])  # its done callback (`_granted`) has run after this
        self._trim()
        if self._returns:
            await asyncio.gather(*self._returns)
        if self._error is not None:
            raise self._error

    def _ask(self) -> None:
        if self._request is None and self._waiters:
            self._request = asyncio.ensure_future(self._fetch())
            self._request.add_done_callback(self._granted)

    async def _fetch(self) -> int:
        await asyncio.sleep(0)  # calls starting together: one request for them all
        if not self._waiters:
            return 0
        return await self._lease(len(self._waiters))

    def _granted(self, request: asyncio.Future[int]) -> None:
        self._request = None
        if request.cancelled():  # the event loop is ending
            return
        error = request.exception()
        if error is not None:  # the limiter is gone: the waiting calls fail with it
            while self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(error)
            return
        self.leased += request.result()
        self._serve()
        self._trim()
        self._ask()  # calls that came while the request was out

    def _serve(self) -> None:
        while self._waiters and self.in_use < self.leased:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled call gave up its turn
                self.in_use += 1
                waiter.set_result(None)

    def _trim(self) -> None:
        if self._closed:
            self._give_surplus()
        elif self._timer is None and self._surplus() > 0:
            self._timer = asyncio.get_running_loop().call_later(self._linger, self._lingered)

    def _lingered(self) -> None:
        self._timer = None
        self._give_surplus()

    def _surplus(self) -> int:
        if self._waiters:
            return 0
        return self.leased - self.in_use - (0 if self._closed else self._keep)

    def _give_surplus(self) -> None:
        surplus = self._surplus()
        if surplus > 0:
            self.leased -= surplus
            returned = asyncio.ensure_future(self._give_back(surplus))
            self._returns.add(returned)
            returned.add_done_callback(self._returned)

    def _returned(self, returned: asyncio.Future[object]) -> None:
        self._returns.discard(returned)
        if not returned.cancelled() and returned.exception() is not None:
            self._error = returned.exception()  # raised by `close`
