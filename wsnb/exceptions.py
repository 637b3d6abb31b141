"""DOM exceptions raised by the mirror, named as a browser names them.

A browser reports misuse of the WebSocket API by throwing a ``DOMException``
whose ``name`` says what went wrong. wsnb raises the same names, and each
class also derives from the Python builtin that a Python programmer would
catch, so both styles work::

    DOMException(Exception)            .name, .message
    ├── InvalidStateError(RuntimeError)   send() while CONNECTING
    ├── InvalidAccessError(ValueError)    close() with a code other than 1000 or 3000-4999
    └── DOMSyntaxError(ValueError)        bad URL, bad subprotocols, close reason too long
                                          (.name == "SyntaxError")

The Python class for the DOM's ``SyntaxError`` is called ``DOMSyntaxError``
so that it never shadows Python's builtin ``SyntaxError``.

Wrong Python *types* (``send(42)``) raise the builtin ``TypeError``, as
WebIDL's conversions throw a ``TypeError`` in JavaScript.
"""

from __future__ import annotations

__all__ = [
    "DOMException",
    "DOMSyntaxError",
    "InvalidAccessError",
    "InvalidStateError",
]


class DOMException(Exception):
    """Base class of the exceptions the WebSocket API throws.

    Attributes:
        name: The DOM name of the exception, such as ``"InvalidStateError"``.
        message: What went wrong, in words.
    """

    name = "DOMException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        # The traceback already names the class; the DOM name is in .name.
        return self.message


class InvalidStateError(DOMException, RuntimeError):
    """Raised when a method is called in a readyState that forbids it.

    ``send()`` while the socket is still CONNECTING raises it: the standard
    does not queue data sent before the open event.
    """

    name = "InvalidStateError"


class InvalidAccessError(DOMException, ValueError):
    """Raised when ``close()`` is given a code a script may not send.

    Scripts may send 1000 or a code from 3000 to 4999; every other code is
    reserved for the protocol or the browser itself.
    """

    name = "InvalidAccessError"


class DOMSyntaxError(DOMException, ValueError):
    """Raised when an argument cannot be parsed: the DOM's ``SyntaxError``.

    The constructor raises it for a URL that does not parse, has a scheme
    other than ws, wss, http or https, or has a fragment, and for invalid or
    duplicated subprotocols; ``close()`` raises it for a reason longer than
    123 bytes of UTF-8.
    """

    name = "SyntaxError"
