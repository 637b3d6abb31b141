"""Shared helpers of the lab server tests (from tests/support.py)."""

from __future__ import annotations

from ..support import MS, TIMEOUT, bounded, with_timeouts

__all__ = ["MS", "TIMEOUT", "bounded", "with_timeouts"]
