"""DOM exceptions (wsnb/exceptions.py)."""

from __future__ import annotations

import builtins
import unittest

import wsnb
from wsnb import DOMException, DOMSyntaxError, InvalidAccessError, InvalidStateError


class ExceptionTests(unittest.TestCase):
    def test_names_and_bases(self) -> None:
        """Each exception has its DOM name and a builtin base to catch it by."""
        cases = [
            (InvalidStateError, "InvalidStateError", RuntimeError),
            (InvalidAccessError, "InvalidAccessError", ValueError),
            (DOMSyntaxError, "SyntaxError", ValueError),
        ]
        for cls, name, base in cases:
            with self.subTest(cls=cls):
                exc = cls("what happened")
                self.assertIsInstance(exc, DOMException)
                self.assertIsInstance(exc, base)
                self.assertEqual(exc.name, name)
                self.assertEqual(exc.message, "what happened")
                self.assertEqual(str(exc), "what happened")

    def test_builtin_syntax_error_not_shadowed(self) -> None:
        """wsnb never defines a SyntaxError that could shadow the builtin."""
        self.assertFalse(hasattr(wsnb, "SyntaxError"))
        self.assertIs(SyntaxError, builtins.SyntaxError)
