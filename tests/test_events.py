"""Events (wsnb/events.py): the data of Event, MessageEvent and CloseEvent, and their clock."""

from __future__ import annotations

import unittest

from wsnb import CloseEvent, Event, MessageEvent
from wsnb.events import performance_now


class EventObjectTests(unittest.TestCase):
    def test_event_defaults(self) -> None:
        """A new Event has the DOM's defaults and a stable repr."""
        event = Event("open")
        self.assertEqual(event.type, "open")
        self.assertIsNone(event.target)
        self.assertIsNone(event.currentTarget)
        self.assertFalse(event.bubbles or event.cancelable or event.defaultPrevented or event.isTrusted)
        self.assertEqual(event.eventPhase, Event.NONE)
        self.assertIsInstance(event.timeStamp, float)
        self.assertEqual(repr(event), "Event(type='open')")

    def test_message_event(self) -> None:
        """MessageEvent has data, origin, lastEventId '', source None, ports []."""
        event = MessageEvent("message", data="hi", origin="ws://h")
        self.assertEqual((event.data, event.origin, event.lastEventId, event.source, event.ports), ("hi", "ws://h", "", None, []))
        self.assertEqual(repr(event), "MessageEvent(type='message', data='hi', origin='ws://h')")
        long = MessageEvent("message", data="x" * 100)
        self.assertIn("...", repr(long))

    def test_close_event(self) -> None:
        """CloseEvent has code, reason and wasClean, defaulting to 0, '' and False."""
        self.assertEqual((CloseEvent("close").code, CloseEvent("close").reason, CloseEvent("close").wasClean), (0, "", False))
        event = CloseEvent("close", code=4000, reason="bye", wasClean=True)
        self.assertEqual(repr(event), "CloseEvent(type='close', code=4000, reason='bye', wasClean=True)")

    def test_read_only(self) -> None:
        """Event attributes cannot be assigned."""
        event = CloseEvent("close", code=1000)
        with self.assertRaises(AttributeError):
            event.code = 1001  # type: ignore[misc]

    def test_prevent_default(self) -> None:
        """preventDefault() only cancels cancelable events."""
        plain, cancelable = Event("x"), Event("x", cancelable=True)
        plain.preventDefault()
        cancelable.preventDefault()
        self.assertFalse(plain.defaultPrevented)
        self.assertTrue(cancelable.defaultPrevented)

    def test_type_must_be_str(self) -> None:
        """An event type that is not a str is a TypeError."""
        with self.assertRaises(TypeError):
            Event(1)  # type: ignore[arg-type]

    def test_performance_now_is_the_event_clock(self) -> None:
        """performance_now() reads the clock of Event.timeStamp, so a call and an event compare."""
        before = performance_now()
        event = MessageEvent("message", data="x")
        after = performance_now()
        self.assertLessEqual(before, event.timeStamp)
        self.assertLessEqual(event.timeStamp, after)


if __name__ == "__main__":
    unittest.main()
