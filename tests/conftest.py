"""Shared fixtures: where the public sample files are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# No deadline anywhere: how long an example takes depends on the machine and
# on numba compiling on first use; time belongs in bench/, not in pass/fail.
# CI runs the same examples every time (a red build must be reproducible);
# developers' runs keep exploring new ones.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get("CASHMATCH_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The public sample files (../shared/samples). CI always has them; a bare clone may not."""
    if not SAMPLES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"sample files missing at {SAMPLES}")
        pytest.skip(f"sample files not found at {SAMPLES} (set CASHMATCH_SAMPLES)")
    return SAMPLES
