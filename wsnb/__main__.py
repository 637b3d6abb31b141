"""``python -m wsnb``: the same as the ``wsnb`` command."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
