"""How a live plot's frames reach the screen: an ipympl canvas, or inline PNG images.

matplotlib is imported when the first renderer is made.
"""

from __future__ import annotations

import io
import itertools
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["renderer_for_backend"]

_IPYMPL_BACKENDS = {"widget", "ipympl", "module://ipympl.backend_nbagg"}


def renderer_for_backend(backend: str | None) -> str:
    """Return the renderer ``"auto"`` picks for a matplotlib backend name.

    ``"ipympl"`` for ipympl's backend (``%matplotlib widget`` or
    ``%matplotlib ipympl``), ``"inline"`` for any other.
    """
    return "ipympl" if backend is not None and backend.lower() in _IPYMPL_BACKENDS else "inline"


def current_backend() -> str | None:
    import matplotlib

    # rcParams["backend"] may be the "auto" sentinel; reading it through
    # get_backend() would import pyplot and pick a backend for us.
    getter = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    if getter is not None:
        return getter()  # type: ignore[no-any-return]
    return str(matplotlib.rcParams["backend"])  # pragma: no cover - matplotlib < 3.8


class Renderer:
    """How frames reach the screen."""

    widget: Any = None

    def __init__(self, figure: Figure) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.canvas: Any = FigureCanvasAgg(figure)

    def render(self) -> None:
        self.canvas.draw()

    def png(self) -> bytes | None:
        """The last frame as PNG, from the Agg buffer (fast settings)."""
        from PIL import Image

        buffer = self.canvas.buffer_rgba()
        height, width = buffer.shape[:2]
        image = Image.frombuffer("RGBA", (width, height), buffer, "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.save(out, format="png", compress_level=1)
        return out.getvalue()

    def close(self) -> None:
        pass


class InlineRenderer(Renderer):
    """Agg in the kernel, shown in one ``ipywidgets.Image`` updated in place."""

    def render(self) -> None:
        self.canvas.draw()
        png = self.png()
        if self.widget is None:
            # Made at the first picture, so that it opens with it.
            import ipywidgets

            self.widget = ipywidgets.Image(value=png, format="png")
        else:
            self.widget.value = png

    def close(self) -> None:
        if self.widget is not None:
            self.widget.close()


_figure_numbers = itertools.count(1)


class IpymplRenderer(Renderer):
    """An ipympl canvas: lines updated in place, drawn when the front end asks."""

    def __init__(self, figure: Figure) -> None:
        from ipympl.backend_nbagg import Canvas, FigureManager  # type: ignore[import-untyped]

        self.figure = figure
        self.canvas = Canvas(figure)
        self.canvas.header_visible = False
        self.canvas.toolbar_visible = "fade-in-fade-out"
        # A manager routes the front end's requests (draw, resize) to the
        # canvas; it is not registered with pyplot, so plt.show() and
        # plt.close("all") leave the live plot alone.
        with warnings.catch_warnings():
            # ipympl's toolbar passes its canvas on to traitlets, which warns.
            warnings.filterwarnings("ignore", "Passing unrecognized arguments", DeprecationWarning)
            self.manager = FigureManager(self.canvas, next(_figure_numbers))
        self.widget = self.canvas

    def render(self) -> None:
        self.canvas.draw_idle()

    def png(self) -> bytes | None:
        # The front end may not have asked for a draw yet: draw now.
        self.canvas.draw()
        return super().png()

    def close(self) -> None:
        self.canvas.close()


RENDERER_CLASSES: dict[str, type[Renderer]] = {
    "agg": Renderer,
    "inline": InlineRenderer,
    "ipympl": IpymplRenderer,
}
