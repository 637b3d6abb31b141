"""``python -m wsnb.servers NAME [--host H] [--port N] [--option KEY=VALUE ...]``."""

from __future__ import annotations

import sys

from ._main import main

if __name__ == "__main__":
    sys.exit(main())
