"""Ready states and close codes (wsnb/codes.py)."""

from __future__ import annotations

import unittest

from wsnb import CloseCode, ReadyState, WebSocket, can_send_from_script, classify, describe, is_private, is_registered


class ReadyStateTests(unittest.TestCase):
    def test_values(self) -> None:
        """The four states have the browser's numbers and live on WebSocket too."""
        self.assertEqual([int(s) for s in ReadyState], [0, 1, 2, 3])
        self.assertEqual([s.name for s in ReadyState], ["CONNECTING", "OPEN", "CLOSING", "CLOSED"])
        for state in ReadyState:
            self.assertIs(getattr(WebSocket, state.name), state)


class CloseCodeTests(unittest.TestCase):
    def test_every_registered_code(self) -> None:
        """1000-1015 are all present, each with a title, meaning, sender and action."""
        self.assertEqual([int(c) for c in CloseCode], list(range(1000, 1016)))
        for code in CloseCode:
            with self.subTest(code=code):
                self.assertTrue(code.title and code.meaning and code.action)
                self.assertIn(code.sent_by, {"either", "server", "client", "never"})
                self.assertEqual(code.info.name, code.name)

    def test_never_on_the_wire(self) -> None:
        """1004, 1005, 1006 and 1015 never appear in a Close frame."""
        never = {int(c) for c in CloseCode if not c.on_the_wire}
        self.assertEqual(never, {1004, 1005, 1006, 1015})

    def test_ranges(self) -> None:
        """classify() names each range; the helpers agree with it."""
        self.assertEqual(classify(1000), "standard")
        self.assertEqual(classify(1016), "reserved")
        self.assertEqual(classify(999), "reserved")
        self.assertEqual(classify(3000), "registered")
        self.assertEqual(classify(3999), "registered")
        self.assertEqual(classify(4000), "private")
        self.assertEqual(classify(4999), "private")
        self.assertEqual(classify(5000), "invalid")
        self.assertTrue(is_registered(3500) and not is_registered(4000))
        self.assertTrue(is_private(4500) and not is_private(3999))

    def test_script_codes(self) -> None:
        """A script may send 1000 and 3000-4999 only."""
        allowed = [c for c in range(0, 6000) if can_send_from_script(c)]
        self.assertEqual(allowed, [1000, *range(3000, 5000)])

    def test_describe(self) -> None:
        """describe() gives one line for any integer."""
        self.assertTrue(describe(1001).startswith("1001 Going Away:"))
        self.assertIn("private use", describe(4321))
        self.assertIn("registered with IANA", describe(3003))
        self.assertIn("reserved", describe(2000))
        self.assertIn("not a valid", describe(70000))
