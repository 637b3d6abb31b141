"""The events of the WebSocket API, as the DOM defines them: the data, nothing else.

``Event``, ``MessageEvent`` and ``CloseEvent`` carry the same attributes as
their browser namesakes; the error event is a plain ``Event`` whose type is
``"error"``. ``EventTarget``, which dispatches them, is in ``wsnb.target``.

:func:`performance_now` is the browser's ``performance.now()``: the clock
of ``Event.timeStamp`` (a wsnb extra).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from .clock import TIME_ORIGIN, performance_now, time_origin

if TYPE_CHECKING:
    from .target import EventTarget

__all__ = ["CloseEvent", "Event", "MessageEvent", "performance_now", "time_origin"]


# Event flags, kept in one int so that making an event is cheap: a fast
# stream dispatches hundreds of thousands of MessageEvents a second.
_BUBBLES, _CANCELABLE, _TRUSTED, _CANCELED, _STOP, _STOP_IMMEDIATE = 1, 2, 4, 8, 16, 32
_monotonic = time.monotonic


class Event:
    """An event: something that happened to an EventTarget.

    Follows the DOM ``Event`` interface (https://dom.spec.whatwg.org/#event).
    Events dispatched by wsnb have ``isTrusted == True``; events you create
    yourself and pass to ``dispatchEvent`` have ``isTrusted == False``.

    Args:
        type: The event's type, such as ``"open"``.
        bubbles: Kept for the DOM's sake; a WebSocket has no parent, so
            nothing bubbles.
        cancelable: Whether ``preventDefault()`` has an effect.
    """

    __slots__ = ("_type", "_target", "_current_target", "_created", "_flags")

    def __init__(self, type: str, *, bubbles: bool = False, cancelable: bool = False) -> None:
        if not isinstance(type, str):
            raise TypeError(f"event type must be a str, not {type.__class__.__name__}")
        self._type = type
        self._target: EventTarget | None = None
        self._current_target: EventTarget | None = None
        self._created = _monotonic()
        self._flags = (_BUBBLES if bubbles else 0) | (_CANCELABLE if cancelable else 0)

    NONE: ClassVar[int] = 0
    CAPTURING_PHASE: ClassVar[int] = 1
    AT_TARGET: ClassVar[int] = 2
    BUBBLING_PHASE: ClassVar[int] = 3

    @property
    def type(self) -> str:
        """The event's type, such as ``"message"``."""
        return self._type

    @property
    def target(self) -> EventTarget | None:
        """The object the event was dispatched to (None before dispatch)."""
        return self._target

    @property
    def currentTarget(self) -> EventTarget | None:
        """The object whose listeners are running now (None outside dispatch)."""
        return self._current_target

    @property
    def eventPhase(self) -> int:
        """``AT_TARGET`` while dispatching, ``NONE`` otherwise."""
        return self.AT_TARGET if self._current_target is not None else self.NONE

    @property
    def bubbles(self) -> bool:
        """Whether the event bubbles (always False for WebSocket events)."""
        return bool(self._flags & _BUBBLES)

    @property
    def cancelable(self) -> bool:
        """Whether ``preventDefault()`` has an effect (False for WebSocket events)."""
        return bool(self._flags & _CANCELABLE)

    @property
    def defaultPrevented(self) -> bool:
        """True once a listener called ``preventDefault()`` on a cancelable event."""
        return bool(self._flags & _CANCELED)

    @property
    def isTrusted(self) -> bool:
        """True for events wsnb dispatched, False for events a script created."""
        return bool(self._flags & _TRUSTED)

    @property
    def _trusted(self) -> bool:
        return bool(self._flags & _TRUSTED)

    @_trusted.setter
    def _trusted(self, value: bool) -> None:
        # Library code (the mirror, patterns) marks the events it fires.
        self._flags = self._flags | _TRUSTED if value else self._flags & ~_TRUSTED

    @property
    def timeStamp(self) -> float:
        """Milliseconds since wsnb was imported, when the event was created."""
        return (self._created - TIME_ORIGIN) * 1000.0

    def preventDefault(self) -> None:
        """Cancel the event, if it is cancelable (WebSocket events are not)."""
        if self._flags & _CANCELABLE:
            self._flags |= _CANCELED

    def stopPropagation(self) -> None:
        """Stop propagation to other targets (a WebSocket has none)."""
        self._flags |= _STOP

    def stopImmediatePropagation(self) -> None:
        """Stop the remaining listeners on this target from running."""
        self._flags |= _STOP | _STOP_IMMEDIATE

    def composedPath(self) -> list[EventTarget]:
        """The targets the event travels through: just the current target."""
        return [self._current_target] if self._current_target is not None else []

    def _fields(self) -> str:
        return f"type={self._type!r}"

    def __repr__(self) -> str:
        # Volatile fields (timeStamp, target) stay out so that printing an
        # event gives the same text on every run.
        return f"{self.__class__.__name__}({self._fields()})"


class MessageEvent(Event):
    """A message received on a WebSocket (https://html.spec.whatwg.org/#messageevent).

    Args:
        type: Usually ``"message"``.
        data: A ``str`` for a text message; for a binary message a
            ``wsnb.Blob`` when ``binaryType`` is ``"blob"`` or ``bytes``
            when it is ``"arraybuffer"``.
        origin: The origin of the WebSocket's URL, such as
            ``"ws://127.0.0.1:8765"``.
        lastEventId: Always ``""`` for WebSocket messages (it exists for
            server-sent events).
        source: Always None for WebSocket messages.
        ports: Always empty for WebSocket messages.
    """

    # lastEventId, source and ports are always empty for WebSocket messages:
    # they live in _extra, None when they have their defaults.
    __slots__ = ("_data", "_origin", "_extra")

    def __init__(
        self,
        type: str,
        *,
        data: Any = None,
        origin: str = "",
        lastEventId: str = "",
        source: Any = None,
        ports: Any = (),
        bubbles: bool = False,
        cancelable: bool = False,
    ) -> None:
        super().__init__(type, bubbles=bubbles, cancelable=cancelable)
        self._data = data
        self._origin = origin
        ports = tuple(ports)
        self._extra = None if (lastEventId, source, ports) == ("", None, ()) else (lastEventId, source, ports)


    @property
    def data(self) -> Any:
        """The message: ``str``, ``wsnb.Blob`` or ``bytes`` (see binaryType)."""
        return self._data

    @property
    def origin(self) -> str:
        """The origin of the URL the message came from."""
        return self._origin

    @property
    def lastEventId(self) -> str:
        """Always ``""`` for WebSocket messages."""
        extra = getattr(self, "_extra", None)
        return "" if extra is None else extra[0]

    @property
    def source(self) -> Any:
        """Always None for WebSocket messages."""
        extra = getattr(self, "_extra", None)
        return None if extra is None else extra[1]

    @property
    def ports(self) -> list[Any]:
        """Always ``[]`` for WebSocket messages (a new list on each read)."""
        extra = getattr(self, "_extra", None)
        return [] if extra is None else list(extra[2])

    def _fields(self) -> str:
        return f"type={self._type!r}, data={_preview(self._data)}, origin={self._origin!r}"


_new_object = object.__new__


class CloseEvent(Event):
    """The end of a WebSocket connection (https://websockets.spec.whatwg.org/#the-closeevent-interface).

    Args:
        type: Usually ``"close"``.
        wasClean: True when the closing handshake completed: both ends sent
            a Close frame and the TCP connection ended in order.
        code: The close code from the server's Close frame; 1005 when it
            carried no code; 1006 when the connection failed or was lost.
        reason: The reason text from the server's Close frame, or ``""``.
    """

    __slots__ = ("_was_clean", "_code", "_reason")

    def __init__(
        self,
        type: str,
        *,
        wasClean: bool = False,
        code: int = 0,
        reason: str = "",
        bubbles: bool = False,
        cancelable: bool = False,
    ) -> None:
        super().__init__(type, bubbles=bubbles, cancelable=cancelable)
        self._was_clean = bool(wasClean)
        self._code = int(code)
        self._reason = reason

    @property
    def wasClean(self) -> bool:
        """Whether the closing handshake completed."""
        return self._was_clean

    @property
    def code(self) -> int:
        """The close code (see ``wsnb.CloseCode`` for what it means)."""
        return self._code

    @property
    def reason(self) -> str:
        """The close reason, ``""`` when there was none."""
        return self._reason

    def _fields(self) -> str:
        return f"type={self._type!r}, code={self._code}, reason={self._reason!r}, wasClean={self._was_clean}"


def _preview(data: Any) -> str:
    if isinstance(data, str) and len(data) > 60:
        return repr(data[:57] + "...")
    if isinstance(data, (bytes, bytearray)) and len(data) > 32:
        return repr(bytes(data[:29])) + f"... ({len(data)} bytes)"
    return repr(data)
