"""The instruments: ipywidgets that show a WebSocket live.

``ws`` as the last expression of a cell shows a :class:`ConnectionPanel`;
:func:`panel` builds one explicitly::

    from wsnb import WebSocket
    from wsnb.widgets import panel

    ws = WebSocket(server.url)
    panel(ws)

The panel is made of small widgets that can also be used alone, each taking
the socket (or a panel's :class:`SocketWatcher`): :class:`StatusBadge`,
:class:`ConnectionInfo`, :class:`HandshakeInfo`, :class:`BufferGauge`, :class:`Counters`,
:class:`StateTimeline`, :class:`MessageLog`, :class:`MessageInspector`,
:class:`FrameLog`, :class:`HarBar`, :class:`SendBar` and :class:`CloseBar`. Every one of them watches the socket and never changes it,
and all of them together update the front end at most 20 times a second.

:class:`LivePlot` draws streamed numbers as they arrive (ipympl or inline
images, throttled to a frame rate): it takes values from each message
(:mod:`~wsnb.widgets.ingest`, ``json_values``), keeps them in rings
(:mod:`~wsnb.widgets.series`) and draws frames through a renderer
(:mod:`~wsnb.widgets.renderers`). :mod:`~wsnb.widgets.plots` has static
plots: round-trip latency, a readyState timeline, a reconnect schedule.

This package imports ipywidgets; the mirror (``wsnb``) does not.
"""

from __future__ import annotations

from .close_bar import *
from .close_bar import __all__ as _close_bar_all
from .frame_log import *
from .frame_log import __all__ as _frame_log_all
from .har_bar import *
from .har_bar import __all__ as _har_bar_all
from .ingest import *
from .ingest import __all__ as _ingest_all
from .inspector import *
from .inspector import __all__ as _inspector_all
from .live_plot import *
from .live_plot import __all__ as _live_plot_all
from .message_log import *
from .message_log import __all__ as _message_log_all
from .panel import *
from .panel import __all__ as _panel_all
from .plots import *
from .plots import __all__ as _plots_all
from .renderers import *
from .renderers import __all__ as _renderers_all
from .ring import *
from .ring import __all__ as _ring_all
from .scheduling import *
from .scheduling import __all__ as _scheduling_all
from .send_bar import *
from .series import *
from .series import __all__ as _series_all
from .send_bar import __all__ as _send_bar_all
from .status import *
from .status import __all__ as _status_all
from .watcher import *
from .watcher import __all__ as _watcher_all

__all__ = [
    *_panel_all,
    *_status_all,
    *_message_log_all,
    *_inspector_all,
    *_frame_log_all,
    *_har_bar_all,
    *_send_bar_all,
    *_close_bar_all,
    *_watcher_all,
    *_scheduling_all,
    *_ring_all,
    *_live_plot_all,
    *_series_all,
    *_ingest_all,
    *_renderers_all,
    *_plots_all,
]
