"""Generated benchmark data, cached on disk as Arrow IPC files.

Generating a million open invoices takes minutes in pure Python, far longer
than matching them; the benchmark generates each ledger once (with the largest
batch any configuration needs) and every measuring subprocess reads it back in
a second. A smaller batch is the head of the larger one: the generator emits
payments one case at a time, so the first ``k`` payments, with their truth, are
a batch of their own.

The cache key holds a digest of bench/generator.py: data made by an older
generator is never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from bench.generator import Dataset, generate

_TABLES = ("customers", "open_items", "payments", "truth", "cases")


def generator_digest() -> str:
    """Eight hex digits of the generator's source: part of every cache key."""
    source = (Path(__file__).with_name("generator.py")).read_bytes()
    return hashlib.sha256(source).hexdigest()[:8]


def dataset_dir(cache_dir: str | os.PathLike, seed: int, n_invoices: int, n_payments: int) -> Path:
    """Where the dataset of these parameters lives in ``cache_dir``."""
    name = f"seed{seed}-inv{n_invoices}-pay{n_payments}-gen{generator_digest()}"
    return Path(cache_dir) / name


def ensure_dataset(
    cache_dir: str | os.PathLike, seed: int, n_invoices: int, n_payments: int
) -> tuple[Path, float]:
    """Generate the dataset into the cache unless it is there already.

    Returns:
        Its folder and the seconds generating it took (0.0 when it was cached).
    """
    folder = dataset_dir(cache_dir, seed, n_invoices, n_payments)
    if (folder / "meta.json").is_file():
        return folder, 0.0
    start = time.perf_counter()
    data = generate(seed, n_invoices, n_payments)
    seconds = time.perf_counter() - start
    partial = folder.with_name(folder.name + f".part{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in _TABLES:
        table: pa.Table = getattr(data, name)
        with ipc.new_file(partial / f"{name}.arrow", table.schema) as writer:
            writer.write_table(table)
    meta = {
        "seed": seed,
        "n_invoices": n_invoices,
        "n_payments": data.payments.num_rows,
        "as_of": data.as_of.isoformat(),
        "generate_seconds": round(seconds, 3),
    }
    (partial / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder, seconds


def _read(path: Path) -> pa.Table:
    with ipc.open_file(path) as reader:
        return reader.read_all()


def load_dataset(folder: str | os.PathLike, n_payments: int | None = None) -> Dataset:
    """Read a cached dataset, keeping only its first ``n_payments`` payments.

    Args:
        folder: a folder made by :func:`ensure_dataset`.
        n_payments: the batch size wanted (default: every payment).
    """
    import datetime as dt

    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    tables = {name: _read(folder / f"{name}.arrow") for name in _TABLES}
    payments = tables["payments"]
    if n_payments is not None and n_payments < payments.num_rows:
        payments = payments.slice(0, n_payments)
        keep = payments["payment_id"]
        tables["truth"] = tables["truth"].filter(pc.is_in(tables["truth"]["payment_id"], keep))
        tables["cases"] = tables["cases"].filter(pc.is_in(tables["cases"]["payment_id"], keep))
    tables["payments"] = payments
    return Dataset(**tables, as_of=dt.date.fromisoformat(meta["as_of"]))
