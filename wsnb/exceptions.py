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

The wsnb extras that no browser throws live here too, so that every
exception wsnb raises is in this module: ``SocketClosed`` (a wait for an
event that can no longer come), ``ArgumentTypeError`` (an argument of the
wrong type), and the patterns' ``QueueFull`` (a bounded send queue refusing
a message), ``MessageValidationError`` (a typed message that does not fit
its schema) and ``ChunkError`` (a malformed chunk); and the lab servers'
``ProgramMissing`` (a program such as ``redis-server`` is not installed)
and ``BrokerUnavailable`` (the Redis broker of a scaled-out lab server
cannot be reached).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import CloseEvent

__all__ = [
    "ArgumentTypeError",
    "BrokerUnavailable",
    "ChunkError",
    "DOMException",
    "DOMSyntaxError",
    "InvalidAccessError",
    "InvalidStateError",
    "MessageValidationError",
    "NoFrontEnd",
    "ProgramMissing",
    "QueueFull",
    "SocketClosed",
    "exception_for_name",
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


def exception_for_name(name: str, message: str) -> Exception:
    """The exception wsnb raises for one a browser threw, chosen by its ``name``.

    A DOMException name wsnb knows gives its class; ``TypeError`` (WebIDL's
    conversions) gives the builtin; any other name a plain
    :class:`DOMException` carrying that name.
    """
    for cls in (InvalidStateError, InvalidAccessError, DOMSyntaxError):
        if cls.name == name:
            return cls(message)
    if name == "TypeError":
        return TypeError(message)
    other = DOMException(message)
    other.name = name
    return other


class NoFrontEnd(RuntimeError):
    """No browser page runs this kernel's widgets, so a ``BrowserWebSocket`` cannot exist (a wsnb extra).

    nbval, nbconvert and consoles run a kernel without a front end that
    renders widgets; JupyterLab and Notebook 7 have one.
    """


class SocketClosed(ConnectionError):
    """Raised by the waiting helpers when the target closed first (a wsnb extra).

    ``await ws.wait_for("open")`` on a socket whose connection failed raises
    it instead of waiting forever. ``event`` is the CloseEvent that ended it.
    """

    def __init__(self, waited_for: str, event: CloseEvent) -> None:
        super().__init__(waited_for, event)
        self.waited_for = waited_for
        self.event = event

    def __str__(self) -> str:
        return (
            f"the connection closed (code {self.event.code}) before "
            f"any {self.waited_for!r} event"
        )


class QueueFull(Exception):
    """Raised when a message is added to a full queue whose policy is ``"raise"``.

    Attributes:
        size: The queue's bound.
    """

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size

    def __str__(self) -> str:
        return (
            f"the send queue is full ({self.size} messages); wait for the connection to open, "
            "raise max_queue, or choose overflow='drop-oldest' or 'drop-newest'"
        )


class ArgumentTypeError(TypeError, ValueError):
    """A constructor's argument has the wrong type (``size="3"``, ``window=True``): a wsnb extra.

    A ``TypeError``, as Python code expects for a wrong type, and also a
    ``ValueError``, which is what wsnb's servers, patterns and widgets
    raised for every bad argument before their checks were unified; code
    that catches either keeps working.
    """


class MessageValidationError(ValueError):
    """Raised when a message does not match its schema.

    Attributes:
        path: Where the problem is, such as ``"chat.text"``.
        problem: What is wrong there.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


class ChunkError(ValueError):
    """Raised when a chunk is malformed or does not fit its message."""


class ProgramMissing(FileNotFoundError):
    """Raised when a program wsnb starts (such as ``redis-server``) is not installed (a wsnb extra).

    Attributes:
        program: The program's name, as looked up on ``PATH``.
        install: How to install it, in words.
    """

    def __init__(self, program: str, install: str) -> None:
        super().__init__(program, install)
        self.program = program
        self.install = install

    def __str__(self) -> str:
        return f"{self.program} was not found on PATH: {self.install}"


class BrokerUnavailable(ConnectionError):
    """Raised when a lab server cannot reach its message broker (Redis) (a wsnb extra).

    Attributes:
        url: The broker's URL, as given in the ``broker`` option.
        reason: What failed, in words.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"the message broker (option broker={self.url}) is unreachable: {self.reason}"
