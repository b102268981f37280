"""Fault points for tests of crashes and shutdowns: die, or stall, at an exact place.

A test sets ``CASHMATCH_FAULT=<point>`` on a server process to kill it (like
kill -9) when it reaches that point, or ``CASHMATCH_STALL=<point>:<seconds>``
to make it wait there (a slow call, to test a bounded shutdown). The variables
are read at each point so that nothing else ever pays for them.
"""

from __future__ import annotations

import os
import signal
import time


def fault(point: str) -> None:
    """Die or stall here when the environment names this point."""
    if os.environ.get("CASHMATCH_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    stall = os.environ.get("CASHMATCH_STALL", "")
    if stall.partition(":")[0] == point:
        time.sleep(float(stall.partition(":")[2] or 60))
