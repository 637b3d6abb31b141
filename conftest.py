"""pytest hooks for the whole run (tests and notebooks).

A notebook that needs a system program (notebook 27 needs ``redis-server``)
is skipped, with the reason printed, where that program is not installed,
instead of failing in its first cell. ``.ci/run`` and Binder install it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import missing_program


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        reason = missing_program(item.path.name)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
