"""The package's public names (wsnb/__init__.py), as websockets' test_exports."""

from __future__ import annotations

import unittest

import wsnb
from wsnb import blob, codes, diagnostics, events, exceptions, target, websocket


class ExportsTests(unittest.TestCase):
    def test_all_is_union_of_modules(self) -> None:
        """wsnb.__all__ is exactly the union of the submodules' __all__, without duplicates."""
        modules = [websocket, events, target, exceptions, codes, blob, diagnostics]
        union = [name for module in modules for name in module.__all__]
        self.assertEqual(len(union), len(set(union)))
        self.assertEqual(sorted(wsnb.__all__), sorted(union))
        for name in wsnb.__all__:
            self.assertIs(getattr(wsnb, name), getattr(next(m for m in modules if name in m.__all__), name))

    def test_mirror_does_not_import_widgets(self) -> None:
        """Importing the mirror does not import ipywidgets or matplotlib."""
        import subprocess
        import sys

        code = "import sys, wsnb; print('ipywidgets' in sys.modules, 'matplotlib' in sys.modules, 'nest_asyncio2' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.split(), ["False", "False", "False"])

    def test_widgets_do_not_import_numpy_or_matplotlib(self) -> None:
        """Importing wsnb.widgets (for a panel) imports neither NumPy nor matplotlib; making a plot does."""
        import subprocess
        import sys

        code = (
            "import sys, wsnb.widgets; print('numpy' in sys.modules, 'matplotlib' in sys.modules); "
            "wsnb.widgets.LivePlot(None, lambda data: float(data), renderer='inline'); print('numpy' in sys.modules, 'matplotlib' in sys.modules)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.split(), ["False", "False", "True", "True"])
