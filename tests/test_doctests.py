"""The examples in docstrings are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cashmatch.engine.api",
    "cashmatch.engine.assignment",
    "cashmatch.engine.config",
    "cashmatch.engine.customers",
    "cashmatch.engine.hashing",
    "cashmatch.engine.index",
    "cashmatch.engine.money",
    "cashmatch.engine.moved_rows",
    "cashmatch.engine.normalize",
    "cashmatch.engine.references",
    "cashmatch.engine.rules",
    "cashmatch.engine.subset_sum",
    "cashmatch.loaders.errors",
    "bench.generator",
    "tests.naive",
    "bench.quality",
    "bench.realistic_payers",
    "cashmatch.engine.shorthand",
    "cashmatch.engine.year_sequence",
    "bench.realistic_ledger",
    "bench.realistic_names",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
