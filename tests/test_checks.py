"""The shared checks of numeric arguments (wsnb/checks.py)."""

from __future__ import annotations

import unittest

from wsnb import DOMSyntaxError, InvalidAccessError
from wsnb.checks import check_close_args, check_int, check_number


class CheckNumberTests(unittest.TestCase):
    def test_number(self) -> None:
        """check_number names the parameter and what was wrong."""
        check_number("x", 0, minimum=0)
        check_number("x", None, allow_none=True)
        with self.assertRaisesRegex(ValueError, "delay must be a number >= 0"):
            check_number("delay", -1, minimum=0)
        with self.assertRaisesRegex(TypeError, "delay must be a number"):
            check_number("delay", "1")
        with self.assertRaises(TypeError):
            check_number("delay", True)
        with self.assertRaises(ValueError):
            check_number("delay", float("nan"))

    def test_ranges(self) -> None:
        """minimum is included, above is not; the message says the range and the unit."""
        check_number("per", 3600, above=0, maximum=3600)
        with self.assertRaisesRegex(ValueError, r"per must be a number of seconds above 0 and at most 3,600, not 0"):
            check_number("per", 0, above=0, maximum=3600, unit="seconds")
        with self.assertRaisesRegex(ValueError, "tick must be a number from 0.001 to 10 or None"):
            check_number("tick", 11, minimum=0.001, maximum=10, allow_none=True)


class CheckIntTests(unittest.TestCase):
    def test_int(self) -> None:
        """An int in range passes; a bool, a float or a str is a TypeError; out of range a ValueError."""
        check_int("size", 1, minimum=1)
        check_int("size", None, minimum=1, allow_none=True)
        for bad in (True, 1.0, "1"):
            with self.subTest(bad=bad), self.assertRaisesRegex(TypeError, "size must be an int >= 1"):
                check_int("size", bad, minimum=1)
        with self.assertRaisesRegex(ValueError, r"max_size must be an int of bytes from 1 to 268,435,456, not 0"):
            check_int("max_size", 0, minimum=1, maximum=256 * 2**20, unit="bytes")
        with self.assertRaisesRegex(ValueError, "or None, not -1"):
            check_int("max_attempts", -1, minimum=0, allow_none=True)


class CheckCloseArgsTests(unittest.TestCase):
    def test_close_args(self) -> None:
        """close() arguments follow the standard's rules: codes 1000 and 3000-4999, reasons up to 123 bytes."""
        check_close_args(None, None)
        check_close_args(1000, "bye")
        check_close_args(4999, "x" * 123)
        with self.assertRaises(InvalidAccessError):
            check_close_args(1001, None)
        with self.assertRaises(InvalidAccessError):
            check_close_args(5000, None)
        with self.assertRaises(DOMSyntaxError):
            check_close_args(1000, "é" * 62)
        with self.assertRaises(TypeError):
            check_close_args(True, None)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            check_close_args(1000, b"bytes")  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
