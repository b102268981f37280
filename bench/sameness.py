"""Prove that a change leaves the matches byte for byte the same as a reference commit's.

The engine of a reference commit (``--ref``, taken from git into a temporary
folder) and the engine of the working tree (or of ``--candidate``, another
commit) match the same generated data: each dataset's whole batch at once,
and its first ``--singles`` payments one at a time (the path a single payment
takes). The matches of both are written as CSV and their SHA-256 compared;
on a difference the first rows that differ are printed. Run from the
repository root::

    python -m bench.sameness --ref 04ee30b --seeds 1,2 --invoices 1000000 --payments 100000

Each engine runs in a fresh process that imports ``cashmatch.engine`` from its
own source folder (a ``cashmatch`` package of symbolic links on
``PYTHONPATH``), so the reference needs no installation. Generated data, the
reference engines (with their numba caches) and their matches are kept under
``--cache`` (default ``/tmp/cashmatch-sameness``): a second run compiles and
matches only the candidate. The data comes from the working tree's
generator and both engines see the same tables, so a change of the generator
changes the data, never the comparison. Exit status 0 when every digest
agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "cashmatch-sameness"


def _worker(dataset: str, out_folder: str, singles: int) -> None:
    """In the engine's process: match the dataset, write batch.arrow and singles.arrow."""
    import time

    import pyarrow as pa
    import pyarrow.ipc as ipc

    from cashmatch.engine import build_index, match_payments

    def read(name: str) -> pa.Table:
        with ipc.open_file(Path(dataset) / f"{name}.arrow") as reader:
            return reader.read_all()

    payments = read("payments")
    start = time.perf_counter()
    index = build_index(read("open_items"), read("customers"))
    built = time.perf_counter() - start
    outputs = {"batch": match_payments(index, payments).matches}
    outputs["singles"] = pa.concat_tables(
        match_payments(index, payments.slice(k, 1)).matches
        for k in range(min(singles, payments.num_rows))
    )
    for name, table in outputs.items():
        with ipc.new_file(Path(out_folder) / f"{name}.arrow", table.schema) as writer:
            writer.write_table(table)
    print(json.dumps({"index_s": round(built, 3), "rows": outputs["batch"].num_rows}))


def _csv_bytes(table) -> bytes:
    import pyarrow.csv as csv

    sink = io.BytesIO()
    csv.write_csv(table, sink)
    return sink.getvalue()


def _read_table(path: Path):
    import pyarrow.ipc as ipc

    with ipc.open_file(path) as reader:
        return reader.read_all()


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True).stdout


def _engine_source(commit: str | None, cache: Path) -> tuple[str, Path]:
    """(label, shim folder) of the engine of ``commit`` (None: the working tree)."""
    if commit is None:
        label, source = "worktree", REPO
        shim = Path(tempfile.mkdtemp(prefix="sameness-shim-"))
    else:
        sha = _git("rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()
        label = sha[:12]
        folder = cache / "engines" / sha
        source = folder / "src"
        if not (source / "engine").is_dir():
            source.mkdir(parents=True, exist_ok=True)
            archive = _git("archive", sha, "engine")
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(source, filter="data")
        shim = folder / "shim"
    package = shim / "cashmatch"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").touch()
    link = package / "engine"
    if not link.exists():
        link.symlink_to(source / "engine", target_is_directory=True)
    return label, shim


def _run_engine(shim: Path, dataset: Path, out: Path, singles: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(shim))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from sameness import _worker; _worker(*sys.argv[2:4], int(sys.argv[4]))"
    )
    # Run from an empty folder so that nothing but the shim provides `cashmatch`.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(Path(__file__).parent),
            str(dataset),
            str(out),
            str(singles),
        ],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"engine at {shim} failed on {dataset.name}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _first_differences(ref, got, limit: int = 5) -> list[str]:
    a, b = ref.to_pylist(), got.to_pylist()
    lines = [f"rows: {len(a)} vs {len(b)}"] if len(a) != len(b) else []
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            lines.append(f"row {k}: {x}\n     != {y}")
            if len(lines) >= limit:
                break
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="the reference commit")
    parser.add_argument("--candidate", help="a commit to compare (default: the working tree)")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=300, help="payments matched one by one")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)

    from bench.report_data import ensure_dataset

    ref_label, ref_shim = _engine_source(args.ref, args.cache)
    cand_label, cand_shim = _engine_source(args.candidate, args.cache)
    same = True
    for seed in [int(s) for s in args.seeds.split(",")]:
        dataset, _ = ensure_dataset(args.cache / "data", seed, args.invoices, args.payments)
        results = {}
        for label, shim in ((ref_label, ref_shim), (cand_label, cand_shim)):
            out = args.cache / "matches" / label / f"{dataset.name}-singles{args.singles}"
            if label == "worktree" or not (out / "batch.arrow").is_file():
                stats = _run_engine(shim, dataset, out, args.singles)
                print(f"{dataset.name}: {label} index {stats['index_s']} s", flush=True)
            results[label] = out
        for part in ("batch", "singles"):
            ref = _read_table(results[ref_label] / f"{part}.arrow")
            got = _read_table(results[cand_label] / f"{part}.arrow")
            ref_digest = hashlib.sha256(_csv_bytes(ref)).hexdigest()
            got_digest = hashlib.sha256(_csv_bytes(got)).hexdigest()
            verdict = "same" if ref_digest == got_digest else "DIFFERENT"
            print(
                f"seed {seed} {args.invoices}x{args.payments} {part} ({ref.num_rows} rows): "
                f"{ref_label} {ref_digest[:16]} {cand_label} {got_digest[:16]} {verdict}"
            )
            if ref_digest != got_digest:
                same = False
                print("\n".join(_first_differences(ref, got)))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
