"""BrowserWebSocket: the notebook page's own WebSocket, driven from Python.

wsnb's :class:`~wsnb.WebSocket` behaves like a browser's. This module lets a
learner check that against a browser: the notebook already runs in one
(JupyterLab's page), and :class:`BrowserWebSocket` creates a real
``new WebSocket()`` there, through a widget (anywidget). It has the mirror's
interface: the constructor's url and protocols, ``readyState``,
``bufferedAmount``, ``protocol``, ``extensions``, ``binaryType``, ``send()``,
``close()``, the ``on*`` handlers, ``addEventListener``, the same event
classes, ``wait_for`` and ``record``.

What differs, because the socket lives in another process (the page):

- A call cannot return the browser's answer at once. ``send()``, ``close()``
  and the constructor return at once; what the browser did comes back a
  moment later: an exception it threw is raised by awaiting the call
  (``await ws.send("x")``, ``await ws.created``), and is logged if nobody
  awaits it. Attributes are the values the page reported with its latest
  answer or event, so inside a handler ``readyState`` is the one the page
  saw when it fired the event.
- The page must be there: the widget's page half runs only in a front end
  that renders widgets (JupyterLab, Notebook 7). Under nbval, nbconvert or
  a console there is none; :meth:`BrowserWebSocket.attached` then raises
  :exc:`~wsnb.exceptions.NoFrontEnd` after its timeout instead of waiting
  for ever.
- Lab servers listen on the kernel's 127.0.0.1. A local page reaches them
  directly; a page served by a remote host (Binder, a JupyterHub) reaches
  them through jupyter-server-proxy (``…/proxy/PORT/``), which
  ``route="auto"`` picks from the page's own address. The page reports its
  origin when it starts, and the lab servers of this kernel accept that
  origin (:func:`wsnb.servers.origins.trust_page_origin`): it is the
  learner's own JupyterLab. The proxy answers the browser's handshake
  itself, so through it the subprotocol is the first one offered, whatever
  the server chose (jupyter-server-proxy 4.6; tested).

The kernel handles the page's messages while a cell awaits (ipykernel 7
processes widget messages concurrently with a running coroutine cell), so
``await ws.wait_for("open")`` in the cell that made the socket works.

"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import traitlets

from .blob import Blob
from .codes import ReadyState
from .events import CloseEvent, Event, MessageEvent
from .exceptions import NoFrontEnd, exception_for_name
from .websocket import SocketTarget

__all__ = ["BrowserCall", "BrowserWebSocket", "PageInfo", "page_attached"]

logger = logging.getLogger("wsnb.browser")

ROUTES = ("auto", "direct", "proxy")
"""How the page reaches the URL: see :class:`BrowserWebSocket`."""


class PageInfo(dict[str, str]):
    """What the page reported when it started: ``origin``, ``href`` and ``userAgent``."""


class _Page(anywidget.AnyWidget):
    """The widget whose page half holds the real WebSocket (see ``browser.js``)."""

    _esm = Path(__file__).with_name("browser.js").read_text(encoding="utf-8")
    url = traitlets.Unicode("").tag(sync=True)


class BrowserCall:
    """The browser's answer to one call (``send``, ``close``, the constructor): await it.

    Awaiting raises the exception the browser threw (as wsnb's
    :class:`~wsnb.exceptions.DOMException` of the same name) or returns None.
    An exception nobody awaits is logged on the ``wsnb.browser`` logger.
    """

    def __init__(self, what: str, future: asyncio.Future[None]) -> None:
        self.what = what
        self._future = future
        self._awaited = False
        self._on_answer: list[Callable[[BaseException | None], None]] = []
        future.add_done_callback(self._report)

    def on_answer(self, callback: Callable[[BaseException | None], None]) -> None:
        """Call ``callback(exception or None)`` as soon as the page's answer is read.

        Unlike a callback on the awaited result, it runs before the kernel
        handles the next message from the page, so it sees the answer in the
        order the page gave it: before the events that followed the call.
        """
        self._on_answer.append(callback)

    def _answer(self, error: BaseException | None) -> None:
        for callback in self._on_answer:
            callback(error)
        if error is None:
            self._future.set_result(None)
        else:
            self._future.set_exception(error)

    def __await__(self) -> Any:
        self._awaited = True
        return asyncio.shield(self._future).__await__()

    def done(self) -> bool:
        """Whether the browser answered."""
        return self._future.done()

    def exception(self) -> BaseException | None:
        """What the browser threw, once it answered; None if nothing."""
        return self._future.exception() if self._future.done() else None

    def _report(self, future: asyncio.Future[None]) -> None:
        # Let the loop run the awaiting coroutine first: only then is it
        # known whether somebody awaited.
        future.get_loop().call_soon(self._report_unawaited, future)

    def _report_unawaited(self, future: asyncio.Future[None]) -> None:
        if not self._awaited and not future.cancelled() and future.exception() is not None:
            logger.warning("the browser threw from %s: %s", self.what, future.exception())

    def __repr__(self) -> str:
        if not self.done():
            return f"<BrowserCall {self.what}: waiting for the page>"
        error = self.exception()
        return f"<BrowserCall {self.what}: {'threw ' + repr(error) if error else 'returned'}>"


class BrowserWebSocket(SocketTarget):
    """A WebSocket created by the notebook page's JavaScript, with the mirror's interface.

    Args:
        url: The URL, as the page's ``new WebSocket(url)`` receives it.
        protocols: A subprotocol name or names, or None for the one-argument
            constructor.
        route: How the page reaches ``url``: ``"direct"``, ``"proxy"``
            (through jupyter-server-proxy on the page's host: only for
            ws URLs of this machine's loopback) or ``"auto"`` (the proxy
            when the page is not itself served from loopback over http).
        page_timeout: Seconds to wait for the page half to start; after
            that, without a page, pending calls and waits raise
            :exc:`~wsnb.exceptions.NoFrontEnd` instead of waiting for ever.

    Attributes:
        created: The browser's answer to the constructor: await it to get
            the SyntaxError it threw, if any.
        page: What the page reported (origin, href, userAgent), once attached.

    Must be made with an event loop running (a notebook cell).
    """

    _remembered_types: ClassVar[frozenset[str]] = frozenset({"open", "error", "close"})
    _final_type: ClassVar[str | None] = "close"

    def __init__(
        self,
        url: str,
        protocols: str | Iterable[str] | None = None,
        *,
        route: str = "auto",
        page_timeout: float = 10.0,
    ) -> None:
        super().__init__()
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {url.__class__.__name__}")
        if route not in ROUTES:
            raise ValueError(f"route must be one of {', '.join(ROUTES)}, not {route!r}")
        if protocols is not None and not isinstance(protocols, str):
            protocols = list(protocols)
            if not all(isinstance(name, str) for name in protocols):
                raise TypeError("protocols must be a str or an iterable of str")
        self._loop = asyncio.get_running_loop()
        self._asked_url = url
        self._state: dict[str, Any] = {
            "readyState": 0, "bufferedAmount": 0, "protocol": "", "extensions": "", "binaryType": "blob", "url": "",
        }
        self._ids = itertools.count(1)
        self._calls: dict[int, BrowserCall] = {}
        self._attached: asyncio.Future[PageInfo] = self._loop.create_future()
        self.page: PageInfo | None = None
        self._no_page_error: NoFrontEnd | None = None
        self._widget = _Page(url=url)
        self._widget.on_msg(self._on_page_message)
        self.created = self._call("the WebSocket constructor", "open", url=url, protocols=protocols, route=route)
        # Without a front end nothing would ever answer: after page_timeout,
        # every pending call and wait fails with NoFrontEnd instead.
        self._watchdog = self._loop.call_later(page_timeout, self._no_page, page_timeout)

    # -- The WebSocket interface ----------------------------------------------

    @property
    def url(self) -> str:
        """The URL as the browser parsed it (the asked one until the page answered)."""
        return str(self._state["url"] or self._asked_url)

    @property
    def readyState(self) -> ReadyState:
        return ReadyState(self._state["readyState"])

    @property
    def bufferedAmount(self) -> int:
        return int(self._state["bufferedAmount"])

    @property
    def protocol(self) -> str:
        return str(self._state["protocol"])

    @property
    def extensions(self) -> str:
        return str(self._state["extensions"])

    @property
    def binaryType(self) -> str:
        return str(self._state["binaryType"])

    @binaryType.setter
    def binaryType(self, value: str) -> None:
        # The page applies it (an invalid value is ignored there, as the
        # standard's enumerated attribute says); the new value is read back.
        self._state["binaryType"] = value if value in ("blob", "arraybuffer") else self._state["binaryType"]
        self._call("binaryType", "binaryType", value=value)

    def send(self, data: str | bytes | bytearray | memoryview | Blob) -> BrowserCall:
        """Send ``data`` from the page; await the result for the exception the browser threw, if any."""
        if isinstance(data, str):
            payload, call = data.encode("utf-8", "surrogatepass"), self._call("send()", "send", text=data)
        elif isinstance(data, Blob):
            payload = bytes(data)
            call = self._call("send()", "send", blob=True, mime=data.type, buffers=[payload])
        elif isinstance(data, (bytes, bytearray, memoryview)):
            payload = bytes(data)
            call = self._call("send()", "send", buffers=[payload])
        else:
            raise TypeError(f"send() takes str, Blob or bytes-like data, not {data.__class__.__name__}")
        if self._call_watchers:
            self._notify_watchers("send", payload, isinstance(data, str), self.readyState)
        return call

    def close(self, code: int | None = None, reason: str | None = None) -> BrowserCall:
        """Close from the page, passing exactly the arguments given (a missing code stays undefined)."""
        if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
            raise TypeError(f"code must be an int, not {code.__class__.__name__}")
        if reason is not None and not isinstance(reason, str):
            raise TypeError(f"reason must be a str, not {reason.__class__.__name__}")
        if self._call_watchers:
            self._notify_watchers("close", code, reason or "")
        return self._call("close()", "close", code=code, reason=reason)

    # -- wsnb extras -------------------------------------------------------------

    async def attached(self, timeout: float = 10.0) -> PageInfo:
        """Wait until the page half runs; return what the page reported.

        Raises:
            NoFrontEnd: If no page answered within ``timeout`` seconds: no
                front end renders this kernel's widgets (nbval, nbconvert,
                a console), so no browser can run the socket.
        """
        if self._no_page_error is not None:
            raise self._no_page_error  # page_timeout passed already: no need to wait again
        try:
            return await asyncio.wait_for(asyncio.shield(self._attached), timeout)
        except asyncio.TimeoutError:
            raise no_front_end(timeout) from None

    async def wait_for(self, type: str, *, timeout: float | None = None) -> Event:
        """Wait for the next event of ``type``, as the mirror's ``wait_for``.

        Raises:
            NoFrontEnd: If no page runs the socket (see ``page_timeout``).
        """
        if self._no_page_error is not None:
            raise self._no_page_error
        return await super().wait_for(type, timeout=timeout)

    def _no_page(self, timeout: float) -> None:
        """No page answered in time: fail what waits for one, say why."""
        if self._attached.done():
            return
        self._no_page_error = no_front_end(timeout)
        for call in list(self._calls.values()):
            if not call.done():
                call._answer(self._no_page_error)
        self._calls.clear()
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.set_exception(self._no_page_error)
        self._waiters.clear()

    @property
    def widget(self) -> anywidget.AnyWidget:
        """The widget that holds the page's socket (displaying it shows its status)."""
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self._widget._repr_mimebundle_(**kwargs)

    def _target_loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def __repr__(self) -> str:
        return f"<BrowserWebSocket url={self.url!r} readyState={self.readyState.name} bufferedAmount={self.bufferedAmount}>"

    # -- The kernel's half of the conversation -----------------------------------

    def _call(self, what: str, op: str, *, buffers: list[bytes] | None = None, **fields: Any) -> BrowserCall:
        identifier = next(self._ids)
        call = BrowserCall(what, self._loop.create_future())
        self._calls[identifier] = call
        self._widget.send({"op": op, "id": identifier, **fields}, buffers=buffers or None)
        return call

    def _on_page_message(self, widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("kind")
        if "state" in content and content["state"] is not None:
            self._state.update(content["state"])
        if kind == "page":
            self._watchdog.cancel()
            self.page = PageInfo(origin=content["origin"], href=content["href"], userAgent=content["userAgent"])
            _trust(self.page["origin"])
            if not self._attached.done():
                self._attached.set_result(self.page)
        elif kind == "reply":
            call = self._calls.pop(content["id"], None)
            if call is not None and not call.done():
                error = content.get("error")
                call._answer(None if error is None else exception_for_name(error["name"], error["message"]))
        elif kind == "event":
            self._fire(content, buffers)

    def _fire(self, content: dict[str, Any], buffers: list[Any]) -> None:
        type = content["type"]
        event: Event
        if type == "message":
            data: Any
            if "text" in content:
                data = content["text"]
            elif content["binary"] == "blob":
                data = Blob([bytes(buffers[0])], type=content.get("mime", ""))
            else:
                data = bytes(buffers[0])
            event = MessageEvent("message", data=data, origin=content.get("origin", ""))
        elif type == "close":
            event = CloseEvent("close", code=content["code"], reason=content["reason"], wasClean=content["wasClean"])
        else:
            event = Event(type)
        event._trusted = True
        self._dispatch(event)


def no_front_end(timeout: float) -> NoFrontEnd:
    """The error for a page that did not answer within ``timeout`` seconds."""
    return NoFrontEnd(
        f"no browser page answered within {timeout} s: BrowserWebSocket needs a front end that renders "
        "widgets (JupyterLab or Notebook 7); under nbval, nbconvert or a console there is none"
    )


_page_probe: list[PageInfo | None] = []  # the answer of the first probe, once there is one


async def page_attached(timeout: float = 5.0) -> PageInfo | None:
    """What the notebook page reports, or None if no page runs this kernel's widgets.

    Makes a widget without a socket and waits at most ``timeout`` seconds
    for its page half to start; the answer is kept, so only the first call
    in a kernel can wait. Under nbval, nbconvert or a console it returns
    None; in JupyterLab the page's origin, address and user agent.
    """
    if _page_probe:
        return _page_probe[0]
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[PageInfo] = loop.create_future()

    def on_message(widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        if content.get("kind") == "page" and not answered.done():
            answered.set_result(PageInfo(origin=content["origin"], href=content["href"], userAgent=content["userAgent"]))

    probe = _Page(url="")
    probe.on_msg(on_message)
    try:
        info: PageInfo | None = await asyncio.wait_for(answered, timeout)
    except asyncio.TimeoutError:
        info = None
    finally:
        probe.close()
    if not _page_probe:
        _page_probe.append(info)
    return _page_probe[0]


def _trust(origin: str) -> None:
    """Let this kernel's lab servers accept the page's origin (imported late: servers import more)."""
    from .servers.origins import trust_page_origin

    trust_page_origin(origin)

