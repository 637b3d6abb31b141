"""WebSocket: the browser's WebSocket interface, in Python.

This follows the WHATWG WebSockets Standard
(https://websockets.spec.whatwg.org/#the-websocket-interface) as closely as
Python allows. The spec's names are the API (``readyState``,
``bufferedAmount``, ``onmessage`` ...); snake_case aliases exist, generated
from one table at the end of this module.

How it runs: the constructor only validates its arguments and schedules the
connection on an asyncio loop (see ``wsnb.loop``). One task opens the
connection (``wsnb._engine``); from then on the engine dispatches each
message as it is read, as a ``MessageEvent``. ``send()`` hands a message to
the engine at once when nothing waits before it; otherwise (the transport's
buffer is full, or the call came from another thread) a second task, the
writer, sends the queue in order. Either way ``bufferedAmount`` falls only
when the loop runs. Events are never dispatched inside the constructor,
``send()`` or ``close()``: in a notebook they run between cells or while a
cell awaits, as a browser runs them between scripts.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import warnings
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

from . import loop as _loop
from ._engine import EngineConnection, EngineFailure, EngineOptions, open_connection
from ._text import encode_usv
from .blob import Blob
from .checks import check_close_args
from .codes import ReadyState
from .diagnostics import Failure, FrameRecord, Handshake
from .events import CloseEvent, Event
from .target import EventHandler, EventTarget, add_aliases
from .exceptions import InvalidStateError, SocketClosed
from .url import parse_protocols, parse_url

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer  # objects with the buffer protocol

__all__ = ["CallWatcher", "SocketTarget", "WebSocket"]

CallWatcher = Callable[..., None]
"""A ``watch_calls`` callback: ``callback(call, *details)``."""

CONNECTING, OPEN, CLOSING, CLOSED = ReadyState

# Sockets that are not CLOSED yet. A browser keeps a WebSocket with a live
# connection alive even when no script refers to it; so does this set.
_live: set[WebSocket] = set()

_CLOSE = object()  # the writer's sentinel for "send the Close frame now"
_DRAIN = object()  # the writer's sentinel for "a message went out: wait for the transport to drain"


class _Constant:
    """A constant of the interface, read-only on the class's instances, as WebIDL constants are.

    ``ws.OPEN = 9`` raises AttributeError (a browser ignores the assignment,
    or throws in strict mode) instead of hiding the constant behind an
    instance attribute.
    """

    def __init__(self, value: ReadyState) -> None:
        self.value = value
        self.name = value.name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> ReadyState:
        return self.value

    def __set__(self, instance: object, value: object) -> None:
        raise AttributeError(f"{self.name} is a constant ({int(self.value)}) and cannot be changed")

    def __delete__(self, instance: object) -> None:
        raise AttributeError(f"{self.name} is a constant ({int(self.value)}) and cannot be deleted")


class SocketTarget(EventTarget):
    """An EventTarget with a WebSocket's surface: its constants and handlers.

    ``WebSocket`` and the pattern classes (``wsnb.patterns``) that present
    themselves as a socket derive from it, so that code written for one
    works with the other: ``CONNECTING`` ... ``CLOSED`` on the class and its
    instances, ``onopen``, ``onmessage``, ``onerror`` and ``onclose``.
    ``close`` is the last event; ``open`` and ``close`` are remembered by
    ``wait_for``.
    """

    CONNECTING = _Constant(ReadyState.CONNECTING)
    OPEN = _Constant(ReadyState.OPEN)
    CLOSING = _Constant(ReadyState.CLOSING)
    CLOSED = _Constant(ReadyState.CLOSED)

    onopen = EventHandler("open")
    onmessage = EventHandler("message")
    onerror = EventHandler("error")
    onclose = EventHandler("close")

    _remembered_types: ClassVar[frozenset[str]] = frozenset({"open", "close"})
    _final_type: ClassVar[str | None] = "close"

    def __init__(self) -> None:
        super().__init__()
        self._call_watchers: list[CallWatcher] = []
        # Sockets this target made and whose calls it passes on to its own
        # watchers (a pattern's WebSocket), subscribed to only while someone
        # watches: an unwatched pattern costs its sockets nothing.
        self._inner_sockets: list[Any] = []

    # -- The socket's surface: each subclass provides it ------------------------

    @property
    def readyState(self) -> ReadyState:
        """The connection's state: CONNECTING, OPEN, CLOSING or CLOSED."""
        raise NotImplementedError

    @property
    def bufferedAmount(self) -> int:
        """Bytes passed to ``send()`` and not yet sent."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The URL connected to; ``""`` for a target without one (a pool of several)."""
        return ""

    @property
    def protocol(self) -> str:
        """The subprotocol the server chose, ``""`` if none."""
        return ""

    @property
    def extensions(self) -> str:
        """The extensions the server accepted, ``""`` if none."""
        return ""

    def send(self, data: Any) -> Any:
        """Send ``data``: see the subclass."""
        raise NotImplementedError

    def close(self, code: int | None = None, reason: str | None = None) -> Any:
        """Close: see the subclass."""
        raise NotImplementedError

    # -- Observation (wsnb extras) ---------------------------------------------

    @property
    def failure(self) -> Failure | None:
        """Why the (last) connection failed, or None (a wsnb extra: browsers hide this).

        A pattern reports its current or last socket's failure.
        """
        return None

    def watch_calls(self, callback: CallWatcher) -> None:
        """Call ``callback(call, *details)`` for what no event reports (a wsnb extra).

        The DOM fires no event when a script calls ``send()`` or ``close()``,
        nor when the server's Close frame starts the closing handshake; a
        tool that shows a connection (the panel, a readyState log) needs all
        three. ``callback`` is called with:

        - ``("send", payload, is_text, readyState)`` for each ``send()``:
          the payload as bytes (UTF-8 for text), and the readyState at the
          call (a message sent while CLOSING or CLOSED is dropped);
        - ``("close", code, reason)`` for each ``close()`` call that starts
          closing (``code`` None when not given);
        - ``("close-frame", code, reason)`` when the server's Close frame
          arrives first.

        A pattern passes on the calls made on the sockets it made, by you or
        by itself (a heartbeat's ping, a batch, a resend): what goes on the
        wire. The callback runs in the thread that made the call, before the
        call returns; its exceptions are logged and never reach the caller.
        """
        if not callable(callback):
            raise TypeError(f"watch_calls() takes a callable, not {callback.__class__.__name__}")
        if not self._call_watchers:
            for socket in self._inner_sockets:
                socket.watch_calls(self._notify_watchers)
        self._call_watchers.append(callback)

    def unwatch_calls(self, callback: CallWatcher) -> None:
        """Stop calling ``callback``; does nothing if it was not watching."""
        if callback in self._call_watchers:
            self._call_watchers.remove(callback)
            if not self._call_watchers:
                for socket in self._inner_sockets:
                    socket.unwatch_calls(self._notify_watchers)

    def _adopt(self, socket: Any) -> None:
        """Pass on the calls of ``socket``, a socket this target made, while it is watched."""
        if not callable(getattr(socket, "watch_calls", None)):
            return  # a factory's socket without the observation API
        self._inner_sockets.append(socket)
        if self._call_watchers:
            socket.watch_calls(self._notify_watchers)

    def _release(self, socket: Any) -> None:
        """Stop passing on the calls of ``socket`` (one this target no longer uses)."""
        if socket in self._inner_sockets:
            self._inner_sockets.remove(socket)
            socket.unwatch_calls(self._notify_watchers)

    def _notify_watchers(self, call: str, *details: Any) -> None:
        """Tell each call watcher about ``call``, in the caller's thread (see ``watch_calls``).

        A watcher's exception is logged and never reaches the script:
        watching must not change what the socket does.
        """
        for watcher in tuple(self._call_watchers):
            try:
                watcher(call, *details)
            except Exception:
                logging.getLogger("wsnb").error("exception in a %s() watcher of %r", call, self, exc_info=True)


class WebSocket(SocketTarget):
    """A WebSocket connection, as in a browser.

    Args:
        url: A ``ws://`` or ``wss://`` URL (``http://`` and ``https://`` are
            changed to them). A relative URL needs ``base_url``.
        protocols: A subprotocol name or a sequence of names to offer; the
            server picks one, readable as ``protocol`` once open.
        base_url: What a relative ``url`` is resolved against (a browser
            uses the page's URL). A wsnb extra.
        **engine_options: Connection settings a browser does not expose
            (headers, origin, ssl, max_size, compression, timeouts,
            record_frames): see ``wsnb._engine.EngineOptions``. wsnb extras.

    Raises:
        DOMSyntaxError: The URL does not parse, has a scheme other than ws,
            wss, http or https, or has a fragment; or a subprotocol is
            invalid or repeated.
        TypeError: An argument has the wrong Python type, or an engine
            option is unknown.

    Differences from the browser:
        - ``failure`` and ``frames`` are extras: why the connection failed,
          and the protocol frames (a browser hides both).
        - ``wait_for()`` and ``block_until()`` wait for an event.
        - A handler may be ``async def``; it then runs as a task.
        - With no running asyncio loop, the socket runs on a background
          thread and its handlers run there.
    """

    _remembered_types = frozenset({"open", "error", "close"})

    def __init__(
        self,
        url: str,
        protocols: str | Iterable[str] | None = None,
        *,
        base_url: str | None = None,
        **engine_options: Any,
    ) -> None:
        super().__init__()
        parsed = parse_url(url, base_url)
        self._protocols = parse_protocols(protocols)
        self._options = EngineOptions.from_keywords(engine_options)
        self._url = parsed.href
        self._origin = parsed.origin
        self._ready_state = CONNECTING
        self._protocol = ""
        self._extensions = ""
        self._binary_type = "blob"
        self._buffered = 0
        self._buffered_lock = threading.Lock()
        self._failure: Failure | None = None
        self._handshake: Handshake | None = None
        self._frames: list[FrameRecord] = []
        self._conn: EngineConnection | None = None
        # (payload, is_text, size), or (_CLOSE, code, reason) for the Close frame.
        self._outbox: collections.deque[tuple[Any, Any, Any]] = collections.deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._close_requested = False
        self._sent_pending = 0  # bytes written at once by send(), counted out of bufferedAmount soon
        self._open_task: asyncio.Task[EngineConnection] | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._loop = _loop.socket_loop()
        self._drain_waiters = _loop.Waiters(self._loop)  # wait_for_buffered()
        _live.add(self)
        self._in_loop(self._start)

    # -- Attributes -----------------------------------------------------------

    @property
    def url(self) -> str:
        """The URL, serialised: default port dropped, ``/`` path added, http(s) mapped to ws(s)."""
        return self._url

    @property
    def readyState(self) -> ReadyState:
        """CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3).

        It changes only from the loop, right before the event that reports
        it runs (OPEN before ``open`` handlers, CLOSED before ``error`` and
        ``close`` handlers); it becomes CLOSING inside ``close()``, or on the
        loop when the server's Close frame arrives (after the messages sent
        before it are dispatched; no event marks that moment).
        """
        return self._ready_state

    @property
    def bufferedAmount(self) -> int:
        """Bytes passed to ``send()`` and not yet handed to the network.

        Text counts its UTF-8 bytes. It grows inside ``send()``, falls only
        when the loop runs and the writer hands data to the network, and
        after ``close()`` it keeps growing with every ``send()`` (that data
        is never sent). Watch it to avoid buffering without bound.
        """
        return self._buffered

    @property
    def protocol(self) -> str:
        """The subprotocol the server selected, ``""`` before open or when none."""
        return self._protocol

    @property
    def extensions(self) -> str:
        """The extensions the server accepted (``Sec-WebSocket-Extensions``), ``""`` if none."""
        return self._extensions

    @property
    def binaryType(self) -> str:
        """How binary messages are delivered: ``"blob"`` (the default) or ``"arraybuffer"`` (bytes).

        It is read when each message event is dispatched, so a change
        applies to the next message dispatched. Other values are ignored,
        as in a browser, with a warning.
        """
        return self._binary_type

    @binaryType.setter
    def binaryType(self, value: str) -> None:
        if value in ("blob", "arraybuffer"):
            self._binary_type = value
        else:
            warnings.warn(
                f"binaryType must be 'blob' or 'arraybuffer'; {value!r} is ignored "
                f"and binaryType stays {self._binary_type!r}",
                stacklevel=2,
            )

    @property
    def handshake(self) -> Handshake | None:
        """The opening handshake's request and response (a wsnb extra; DevTools shows it, scripts never see it).

        None until the handshake ends; after a refused handshake it holds
        the status and body of the refusal, after a TCP or TLS failure the
        request alone.
        """
        return self._handshake

    @property
    def failure(self) -> Failure | None:
        """Why the connection failed, or None (a wsnb extra: browsers hide this)."""
        return self._failure

    @property
    def frames(self) -> list[FrameRecord]:
        """Protocol frames seen so far: close frames always, every frame with ``record_frames=True`` (a wsnb extra)."""
        conn = self._conn
        return list(conn.frames) if conn is not None else list(self._frames)

    @property
    def frames_dropped(self) -> int:
        """Frame records dropped, oldest first, to keep at most ``max_frames`` (a wsnb extra)."""
        conn = self._conn
        return conn.frames.dropped if conn is not None else 0

    @property
    def records_frames(self) -> bool:
        """Whether ``frames`` keeps every frame (``record_frames=True``), not only the close frames (a wsnb extra)."""
        return self._options.record_frames

    # -- Methods --------------------------------------------------------------

    def send(self, data: str | Blob | ReadableBuffer) -> None:
        """Queue ``data`` to be sent as one message.

        ``str`` is sent as a text message (lone surrogates become U+FFFD).
        ``Blob`` and every object with the buffer protocol are sent as a
        binary message: ``bytes``, ``bytearray``, ``memoryview`` (only the
        bytes the view covers), ``array.array``, NumPy arrays, ``mmap`` ...
        -- the Python counterparts of the standard's ``ArrayBuffer`` and
        ``ArrayBufferView`` (every typed array and ``DataView``). A buffer
        goes out as its raw bytes, in the machine's byte order, as a typed
        array's do: ``array("d", [1.5])`` is 8 bytes. A non-contiguous
        buffer (a strided ``memoryview``, a sliced, transposed or
        Fortran-ordered NumPy array) is sent as the bytes of the elements
        it shows, in row-major (C) order, as ``memoryview(data).tobytes()``
        gives them. The data is copied now; ``bufferedAmount`` grows by its
        size in bytes (UTF-8 bytes for text).

        Raises:
            InvalidStateError: While the socket is CONNECTING: nothing is
                queued (wait for ``open`` first).
            TypeError: For any other type of data (``dict``, ``int`` ...:
                encode it yourself, e.g. ``json.dumps``).

        Once the socket is CLOSING or CLOSED, the data is not sent but still
        counts in ``bufferedAmount``, as the standard says.
        """
        state = self._ready_state
        if state is CONNECTING:
            raise InvalidStateError(
                "send() was called while the WebSocket is still CONNECTING; "
                "wait for the 'open' event (await ws.wait_for('open'))"
            )
        if isinstance(data, str):
            payload: bytes = encode_usv(data)
            text = True
        elif isinstance(data, bytes):
            payload, text = data, False
        elif isinstance(data, Blob):
            payload, text = data._data, False
        else:
            payload, text = binary_payload(data), False
        size = len(payload)
        with self._buffered_lock:
            self._buffered += size
        if self._call_watchers:
            self._notify_watchers("send", payload, text, state)
        if state is not OPEN:
            return
        if _loop.in_loop_thread(self._loop):
            conn = self._conn
            # Nothing waits before it: the frame goes to the transport now.
            # bufferedAmount still falls only when the loop runs (or, if the
            # transport's buffer is full, once it drained).
            if not self._outbox and conn is not None and not conn.paused and conn.write_now(payload, text):
                if conn.paused:
                    self._enqueue((_DRAIN, None, size))
                else:
                    self._sent_soon(size)
                return
            self._enqueue((payload, text, size))
        else:
            self._loop.call_soon_threadsafe(self._enqueue, (payload, text, size))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Start closing the connection.

        Args:
            code: 1000 or 3000-4999; None (the default) sends a Close frame
                with no code, which the server reports as 1005.
            reason: Up to 123 bytes of UTF-8 text, or None.

        Raises:
            InvalidAccessError: For any other code (1001-2999 are the
                protocol's and the browser's, not a script's).
            DOMSyntaxError: If the reason is longer than 123 bytes in UTF-8.
            TypeError: If code is not an int or reason not a str.

        Arguments are checked before anything changes. While CONNECTING the
        connection is failed: ``error``, then ``close`` with 1006. While
        OPEN, readyState becomes CLOSING at once; what ``send()`` queued
        before is sent first, then the Close frame. When CLOSING or CLOSED,
        nothing happens.
        """
        reason_text = check_close_args(code, reason)
        state = self._ready_state
        if state is CLOSING or state is CLOSED:
            return
        self._ready_state = CLOSING
        self._close_requested = True
        if self._call_watchers:
            self._notify_watchers("close", code, reason_text)
        if state is CONNECTING:
            self._in_loop(self._abort_connecting)
        else:
            # A reason without a code cannot be sent; the standard sends
            # none in that case too (close(undefined, "x") sends no status).
            self._in_loop(self._enqueue, (_CLOSE, code, reason_text if code is not None else ""))

    async def wait_for_buffered(self, at_most: int = 0, *, timeout: float | None = None) -> int:
        """Wait until ``bufferedAmount`` is ``at_most`` bytes or less; return it (a wsnb extra).

        A browser offers no event for this, so scripts poll; here the writer
        wakes the waiter each time it hands data to the network. Use it to
        send no faster than the network takes data (backpressure).

        Raises:
            TimeoutError: If ``timeout`` seconds passed first.
            SocketClosed: If the socket closed with more still buffered.
        """
        def ended() -> SocketClosed | None:
            final = self._seen.get("close")
            return SocketClosed(f"bufferedAmount <= {at_most}", final) if isinstance(final, CloseEvent) else None

        await self._drain_waiters.until(
            lambda: self._buffered <= at_most,
            timeout=timeout,
            ended=ended,
            describe=lambda: f"bufferedAmount is still {self._buffered} bytes (> {at_most})",
        )
        return self._buffered

    # -- Running on the loop ----------------------------------------------------

    def _target_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def _in_loop(self, callback: Any, *args: Any) -> None:
        _loop.call_soon_on(self._loop, callback, *args)

    def _start(self) -> None:
        self._open_task = self._loop.create_task(
            open_connection(self._url, self._protocols, self._options)
        )
        self._run_task = self._loop.create_task(self._run())

    def _abort_connecting(self) -> None:
        if self._open_task is not None:
            self._open_task.cancel()

    async def _run(self) -> None:
        assert self._open_task is not None
        try:
            conn = await self._open_task
        except EngineFailure as exc:
            self._handshake = exc.handshake
            self._closed(failure=exc.failure)
            return
        except asyncio.CancelledError:
            if not self._close_requested:
                self._ended_with_loop()
                raise
            self._closed(failure=Failure(
                "closed-while-connecting", "close() was called before the connection opened"
            ))
            return
        if self._close_requested:
            conn.abort()
            self._closed(failure=Failure(
                "closed-while-connecting", "close() was called before the connection opened"
            ))
            return
        self._conn = conn
        self._handshake = conn.handshake_record
        self._writer_task = self._loop.create_task(self._write(conn))
        self._protocol = conn.subprotocol
        self._extensions = conn.extensions
        self._ready_state = OPEN
        conn.on_close_frame(self._on_close_frame)
        self._fire(Event("open"))
        try:
            info = await conn.pump(self._on_message, self._is_close_requested)
        except asyncio.CancelledError:
            conn.abort()
            self._ended_with_loop()
            raise
        finally:
            self._writer_task.cancel()
        if info.failure is not None:
            self._closed(failure=info.failure)
        else:
            code = info.rcvd_code if info.rcvd_code is not None else 1005
            self._closed(code=code, reason=info.rcvd_reason, was_clean=True)

    def _ended_with_loop(self) -> None:
        """The loop is ending under the socket (``asyncio.run()`` returned, a kernel stopped).

        No task can run any more, so no event can be fired: the socket reads
        CLOSED from now on, says why in ``failure``, and leaves the set of
        live sockets. send() then behaves as on any CLOSED socket.
        """
        self._ready_state = CLOSED
        self._failure = Failure(
            "loop-ended",
            "the asyncio event loop this socket ran on ended (for example, asyncio.run() "
            "returned) before the connection closed; make the socket inside the loop that uses it",
        )
        _live.discard(self)

    def _is_close_requested(self) -> bool:
        return self._close_requested

    def _on_message(self, data: str | bytes) -> None:
        # The standard drops messages that arrive once close() was called.
        # (Messages received before the server's Close frame are dispatched
        # before readyState becomes CLOSING, and none can come after it.)
        if self._close_requested:
            return
        if data.__class__ is str or self._binary_type != "blob":
            self._dispatch_received(data, self._origin)
        else:
            self._dispatch_received(Blob._wrap(data), self._origin)  # type: ignore[arg-type]

    def _on_close_frame(self, code: int, reason: str) -> None:
        """The server's Close frame arrived: the closing handshake has started.

        If the script had not called close(), readyState becomes CLOSING now
        (the standard's "the WebSocket closing handshake is started"); the
        ``close`` event follows once the TCP connection is closed. No event
        marks this moment, so watchers are told.
        """
        if self._ready_state is OPEN:
            self._ready_state = CLOSING
            if self._call_watchers:
                self._notify_watchers("close-frame", code, reason)

    def _closed(self, *, failure: Failure | None = None, code: int = 1006, reason: str = "", was_clean: bool = False) -> None:
        """Run the standard's "the WebSocket connection is closed" task."""
        self._ready_state = CLOSED
        _live.discard(self)
        if failure is not None:
            self._failure = failure
            self._fire(Event("error"))
            self._fire(CloseEvent("close", code=1006, reason="", wasClean=False))
        else:
            self._fire(CloseEvent("close", code=code, reason=reason, wasClean=was_clean))
        self._drain_waiters.wake()

    def _fire(self, event: Event) -> None:
        event._trusted = True
        self._dispatch(event)

    def _enqueue(self, item: tuple[Any, Any, Any]) -> None:
        self._outbox.append(item)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def _write(self, conn: EngineConnection) -> None:
        """Send queued messages in order; count them out of bufferedAmount as they go."""
        outbox = self._outbox
        lock = self._buffered_lock
        while True:
            if not outbox:
                self._wakeup = self._loop.create_future()
                await self._wakeup
                self._wakeup = None
                continue
            payload, text, size = outbox.popleft()
            if payload is _CLOSE:
                await conn.close(text, size)
                return
            if payload is _DRAIN:
                await conn.drain()
            elif not await conn.send(payload, text):
                return
            with lock:
                self._buffered -= size
            if self._drain_waiters:
                self._drain_waiters.wake()

    def _sent_soon(self, size: int) -> None:
        """Count ``size`` bytes out of bufferedAmount when the loop next runs (once for all sent meanwhile)."""
        if not self._sent_pending:
            self._loop.call_soon(self._count_sent)
        self._sent_pending += size

    def _count_sent(self) -> None:
        with self._buffered_lock:
            self._buffered -= self._sent_pending
        self._sent_pending = 0
        if self._drain_waiters:
            self._drain_waiters.wake()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Show a live connection panel when a notebook displays the socket (a wsnb extra).

        ``ws`` as the last expression of a cell shows ``wsnb.widgets.panel(ws)``:
        a new panel that watches the socket and never changes it. Outside a
        Jupyter kernel, or without ipywidgets, only the text repr is shown.
        """
        try:
            # Deferred: the mirror itself never imports ipywidgets.
            from .widgets.panel import panel_mimebundle
        except ModuleNotFoundError as exc:
            if exc.name != "ipywidgets":
                raise
            return {"text/plain": repr(self)}
        return panel_mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        return (
            f"<WebSocket url={self._url!r} readyState={self._ready_state.name} "
            f"bufferedAmount={self._buffered}>"
        )


def _not_binary(data: object) -> TypeError:
    return TypeError(
        "send() takes str, Blob, or a bytes-like object (bytes, bytearray, "
        f"memoryview, array.array, a NumPy array ...), not {data.__class__.__name__}"
    )


def binary_payload(data: object) -> bytes:
    """The bytes a binary message of ``data`` carries: a Blob's, or a copy of a buffer's.

    ``send()`` uses it, and so do the patterns that queue, split or measure
    binary data, so that they all accept what ``WebSocket.send()`` accepts.
    A buffer's elements come out in row-major (C) order: for a C-contiguous
    buffer (as a typed array always is) that is its memory as it is; a
    strided or Fortran-ordered one is copied element by element.

    Raises:
        TypeError: ``data`` is neither a Blob nor a buffer (a ``str`` is text,
            not binary).
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, Blob):
        return data._data
    try:
        view = memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        raise _not_binary(data) from None
    with view:
        return view.tobytes()


def binary_size(data: object) -> int:
    """The size in bytes of a binary message of ``data`` (a Blob or a buffer), without copying it.

    Raises:
        TypeError: ``data`` is neither a Blob nor a buffer.
    """
    if isinstance(data, Blob):
        return data.size
    try:
        view = memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        raise _not_binary(data) from None
    with view:
        return view.nbytes


add_aliases(WebSocket, {
    "ready_state": "readyState",
    "buffered_amount": "bufferedAmount",
    "binary_type": "binaryType",
})
