"""Which asyncio loop runs a socket, and how to wait on it from anywhere.

A browser has one event loop: scripts and event handlers never run at the
same time. In a Jupyter kernel the kernel's asyncio loop plays that part:
``WebSocket(...)`` called from a cell (or any coroutine) uses the running
loop, and its events are dispatched from that loop between cells or while a
cell awaits.

With no running loop (a plain script or a REPL), wsnb starts one background
thread with its own loop, shared by every such socket; events are then
dispatched on that thread. There, unlike in a browser or a notebook, the
script's thread does not hold the loop: ``readyState`` may change between
two lines of the script, and handlers run at the same time as it.

Waiting:

- ``await run_on(loop, coro)`` runs a coroutine on the socket's loop from any
  coroutine, on any loop.
- ``run_blocking(coro, loop)`` blocks until it is done. Inside a running
  kernel that means re-entering the running loop, which asyncio forbids;
  nest-asyncio2 allows it. It is applied only when a blocking wait is called
  on a running loop, never on import, because it patches asyncio.
- ``Waiters`` is how an object lets coroutines wait for a condition of its
  own (``bufferedAmount`` down to a level, a queue drained): it wakes them
  when the condition may hold, without anyone polling.

The threading contract, for every wsnb object that runs on a loop: a method
called from another thread is handed to the object's loop. One that returns
nothing of the socket's state (``WebSocket.send()``, ``close()``) returns
at once; one whose result depends on the loop's state (a pattern's
``send()`` says "sent", "queued" or refuses) waits for the loop to run it.
Waiting methods (``wait_for``, ``drain`` ...) can be awaited from any loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, Coroutine, TypeVar

from .exceptions import InvalidStateError

__all__ = [
    "Waiters",
    "background_loop",
    "call_on",
    "call_soon_on",
    "in_loop_thread",
    "run_blocking",
    "run_on",
    "running_loop",
    "socket_loop",
]

T = TypeVar("T")

_background: asyncio.AbstractEventLoop | None = None
_background_lock = threading.Lock()
_nested: set[int] = set()


def background_loop() -> asyncio.AbstractEventLoop:
    """Return wsnb's background loop, starting its daemon thread on first use."""
    global _background
    with _background_lock:
        if _background is None or _background.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="wsnb-loop", daemon=True)
            thread.start()
            ready.wait()
            _background = loop
        return _background


def running_loop() -> asyncio.AbstractEventLoop | None:
    """Return the loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def socket_loop() -> asyncio.AbstractEventLoop:
    """Return the loop a new socket should run on: the running one, else the background one."""
    loop = running_loop()
    return loop if loop is not None else background_loop()


def in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    """Return True when called from code that ``loop`` is running right now."""
    return running_loop() is loop


def call_soon_on(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> None:
    """Run ``callback(*args)`` on ``loop`` and return at once, from any thread.

    For a call whose result nobody waits for (``WebSocket.send()`` queuing a
    message, a widget asking for a redraw): called from the loop's thread it
    runs now, from another thread it runs when the loop next does.
    """
    if in_loop_thread(loop):
        callback(*args)
    else:
        loop.call_soon_threadsafe(callback, *args)


def call_on(loop: asyncio.AbstractEventLoop, function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` on ``loop`` and return its result, from any thread.

    For a call whose result the caller needs (a pattern's ``send()``).
    Called from that loop's thread it runs at once; from another thread (a
    widget callback, a user thread) it is handed to the loop and this
    thread waits for the result, so return values and exceptions reach the
    caller either way.
    """
    if in_loop_thread(loop):
        return function(*args)
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as exc:  # handed to the calling thread
            future.set_exception(exc)

    loop.call_soon_threadsafe(run)
    return future.result()


async def run_on(loop: asyncio.AbstractEventLoop | None, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on ``loop`` (None: the current one) from any running loop.

    On the same loop the coroutine is awaited directly, so that whatever it
    registers before its first suspension is registered at once.
    """
    if loop is None or loop is asyncio.get_running_loop():
        return await coro
    _check_alive(loop, coro)
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


def run_blocking(coro: Coroutine[Any, Any, T], loop: asyncio.AbstractEventLoop | None = None) -> T:
    """Run ``coro`` to completion and return its result, blocking the caller.

    ``loop`` is the loop the awaited object lives on (None: the current or
    background one). Three cases:

    - the caller is not inside a running loop and ``loop`` runs in another
      thread: hand the coroutine to that thread and wait for the result;
    - the caller is inside ``loop`` (a notebook cell, a handler): re-enter the
      loop through nest-asyncio2, applied to that loop on first use;
    - ``loop`` exists but is not running: run it until the coroutine is done.
    """
    running = running_loop()
    if loop is None:
        loop = running if running is not None else background_loop()
    if running is loop:
        _allow_nesting(loop)
        return loop.run_until_complete(coro)
    _check_alive(loop, coro)
    if loop.is_running():
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result()
    return loop.run_until_complete(coro)


def _check_alive(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> None:
    """Refuse to wait on a loop that has ended: nothing can ever happen there."""
    if loop.is_closed():
        coro.close()
        raise InvalidStateError(
            "the event loop this object ran on has ended (for example, the asyncio.run() "
            "that made it returned): nothing more can happen on it"
        )


def _allow_nesting(loop: asyncio.AbstractEventLoop) -> None:
    if id(loop) in _nested:
        return
    import nest_asyncio2

    nest_asyncio2.apply(loop)
    _nested.add(id(loop))


class Waiters:
    """Coroutines waiting, on one loop, for a condition of the object that owns them.

    The owner calls :meth:`wake` whenever the condition may have become
    true (or can never become true: it closed); each waiter then checks
    again, so a wake too many costs a check, never a wrong answer.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._futures: list[asyncio.Future[None]] = []
        self._wake_scheduled = False

    def __bool__(self) -> bool:
        """Whether anyone waits (so the owner can skip :meth:`wake` on a hot path)."""
        return bool(self._futures)

    async def until(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float | None,
        ended: Callable[[], BaseException | None],
        describe: Callable[[], str],
    ) -> None:
        """Return once ``condition()`` holds, from any loop or thread.

        Args:
            condition: Checked on the owner's loop now and after each wake.
            timeout: Seconds to wait at most; None waits as long as it takes.
            ended: The exception to raise when the condition can no longer
                become true (the owner closed), else None.
            describe: What is still missing, for the TimeoutError's message.

        Raises:
            TimeoutError: If ``timeout`` passed first, saying ``describe()``.
        """

        async def wait() -> None:
            while not condition():
                error = ended()
                if error is not None:
                    raise error
                future: asyncio.Future[None] = self.loop.create_future()
                self._futures.append(future)
                try:
                    await future
                finally:
                    if future in self._futures:
                        self._futures.remove(future)

        try:
            await run_on(self.loop, asyncio.wait_for(wait(), timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(f"{describe()} after {timeout} s") from None

    def wake_soon(self) -> None:
        """Wake the waiters when the loop next runs: any number of changes in one turn cost one wake.

        For an owner whose condition moves with every message of a stream
        (a live plot's sample count). Call it on the owner's loop.
        """
        if self._futures and not self._wake_scheduled:
            self._wake_scheduled = True
            self.loop.call_soon(self.wake)

    def wake(self) -> None:
        """Let every waiter check its condition again. Call it on the owner's loop."""
        self._wake_scheduled = False
        futures, self._futures = self._futures, []
        for future in futures:
            if not future.done():
                future.set_result(None)

