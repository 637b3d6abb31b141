"""The part every watching widget shares: attach to a watcher, refresh, detach."""

from __future__ import annotations

from typing import Any

from ..websocket import SocketTarget
from .watcher import SocketWatcher

__all__ = ["WatcherView", "as_watcher"]


def as_watcher(source: Any, **options: Any) -> tuple[SocketWatcher, bool]:
    """Return ``(watcher, owned)`` for a WebSocket (a new watcher) or a SocketWatcher (itself).

    Raises:
        TypeError: For anything else.
    """
    if isinstance(source, SocketWatcher):
        return source, False
    if isinstance(source, SocketTarget):
        return SocketWatcher(source, **options), True
    raise TypeError(
        "a panel widget watches a wsnb.WebSocket, a wsnb.patterns socket or a SocketWatcher, "
        f"not {source.__class__.__name__}"
    )


class WatcherView:
    """Mixin for a widget that shows what a :class:`SocketWatcher` knows.

    The widget calls :meth:`_attach` once built; from then on the watcher
    calls :meth:`refresh` at most once per update interval. Closing the
    widget detaches it (and stops a watcher it made for itself).
    """

    watcher: SocketWatcher
    _owns_watcher: bool = False

    def _attach(self, source: Any) -> None:
        self.watcher, self._owns_watcher = as_watcher(source)
        self.refresh(self.watcher)  # right from the start, not one update later
        self.watcher.add_view(self.refresh)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show what ``watcher`` knows now. The watcher calls it; so may you."""
        raise NotImplementedError

    def __repr__(self) -> str:
        # Stable on purpose (nbval compares text/plain): no live values.
        watcher = getattr(self, "watcher", None)
        url = watcher.ws.url if watcher is not None else None
        return f"{type(self).__name__}(url={url!r})"

    def close(self) -> None:
        """Stop watching and close the widget in the front end."""
        watcher = getattr(self, "watcher", None)
        if watcher is not None:
            watcher.remove_view(self.refresh)
            if self._owns_watcher:
                watcher.close()
        super().close()  # type: ignore[misc]
