"""Events a pattern dispatches: copies of its socket's events, and ``messageerror``."""

from __future__ import annotations

from typing import Any

from ..events import CloseEvent, Event, MessageEvent
from ..target import EventTarget

__all__ = ["MessageErrorEvent"]


def copy_event(event: Event) -> Event:
    """Return a fresh copy of ``event`` to dispatch on another target.

    An event object belongs to one dispatch (its ``target`` and stop flags
    are set during it), so a pattern re-dispatches a new event with the same
    public fields, never the socket's own event. Pattern events define
    ``_clone()``; the mirror's events are rebuilt from their attributes.
    """
    clone = getattr(event, "_clone", None)
    if clone is not None:
        made: Event = clone()
        return made
    if isinstance(event, CloseEvent):
        return CloseEvent(event.type, code=event.code, reason=event.reason, wasClean=event.wasClean)
    if isinstance(event, MessageEvent):
        return MessageEvent(
            event.type,
            data=event.data,
            origin=event.origin,
            lastEventId=event.lastEventId,
            source=event.source,
            ports=event.ports,
        )
    return Event(event.type, bubbles=event.bubbles, cancelable=event.cancelable)


def fire(target: EventTarget, event: Event) -> None:
    """Dispatch ``event`` on ``target`` now, as an event wsnb created (trusted)."""
    event._trusted = True
    target._dispatch(event)


class MessageErrorEvent(MessageEvent):
    """A message that arrived but could not be decoded (type ``"messageerror"``).

    ``data`` is the message as it arrived; ``error`` is the exception that
    says what was wrong with it (a wsnb pattern extra).
    """

    __slots__ = ("_error",)

    def __init__(self, type: str, *, data: Any = None, origin: str = "", error: BaseException | None = None) -> None:
        super().__init__(type, data=data, origin=origin)
        self._error = error

    @property
    def error(self) -> BaseException | None:
        """Why the message could not be decoded."""
        return self._error

    def _clone(self) -> MessageErrorEvent:
        return MessageErrorEvent(self.type, data=self.data, origin=self.origin, error=self._error)

    def _fields(self) -> str:
        return f"{super()._fields()}, error={self._error!r}"
