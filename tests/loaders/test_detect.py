"""Every sample file is recognised from its content, and bank files match end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench.formats.bai2 import write_bai2
from bench.formats.camt import write_camt053
from bench.formats.mt940 import write_mt940
from bench.generator import generate
from cashmatch.loaders import LoadError
from cashmatch.loaders.detect import detect_format, load_file
from cashmatch.server.cli import main

FOLDER_FORMAT = {
    "bai2": "bai2",
    "camt053": "camt.053",
    "camt054": "camt.054",
    "cfonb120": "cfonb120",
    "edi820": "edi820",
    "lockbox": "lockbox",
    "mt940": "mt940",
    "remt001": "remt.001",
}
# Files whose own totals or balances do not add up: refused unless lenient.
INCONSISTENT = {
    "moov_sample4_gs_ach_remittance_88_no_slash.bai2",
    "akretion_lcr_bank_statement.cfonb120",
    "opentaps_lockbox_bad_total_negative.mbx",
    "wolph_betterplace_sepa_snippet_structured86.sta",
    "wolph_jejik_abnamro.sta",
    "wolph_jejik_rabobank_factuurnummer.sta",
}


def sample_files(samples_dir: Path) -> list[Path]:
    return sorted(p for p in samples_dir.glob("*/*") if p.parent.name in FOLDER_FORMAT)


def test_every_sample_is_detected_and_loads(samples_dir):
    files = sample_files(samples_dir)
    assert len(files) == 38
    for path in files:
        expected = FOLDER_FORMAT[path.parent.name]
        head = path.read_bytes()[:4096]
        assert detect_format(head).name == expected, path.name
        if path.name in INCONSISTENT:
            with pytest.raises(LoadError):
                load_file(path)
            loaded = load_file(path, lenient=True)
            assert loaded.problems, path.name
        else:
            loaded = load_file(path)
        assert loaded.format.startswith(expected.split(".")[0]), path.name
        if loaded.payments.num_rows:
            assert set(loaded.payments["source_format"].to_pylist()) <= {loaded.format, "mt942"}


def test_detection_ignores_the_extension(samples_dir, tmp_path):
    source = samples_dir / "camt053" / "genkgo_camt053_v08_strd_cdtrref.xml"
    renamed = tmp_path / "statement.txt"
    renamed.write_bytes(source.read_bytes())
    assert load_file(renamed).format == "camt.053"
    assert load_file("upload.bin", data=source.read_bytes()).format == "camt.053"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, world\n", "unrecognised format"),
        (b"\x00\x01\x02" * 50, "unrecognised"),
    ],
)
def test_unknown_files_are_refused_by_name(tmp_path, content, message):
    path = tmp_path / "mystery.dat"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=message) as error:
        load_file(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("writer", [write_camt053, write_bai2, write_mt940])
def test_match_from_a_bank_file(tmp_path, writer):
    data = generate(seed=11, n_invoices=1500, n_payments=200)
    # Bank files carry one currency per account: keep the EUR payments.
    payments = data.payments.filter(
        data.payments["currency"].to_numpy(zero_copy_only=False) == "EUR"
    )
    statement = tmp_path / "statement.dat"
    writer(payments, str(statement))
    items = tmp_path / "open_items.parquet"
    from cashmatch.loaders.tabular import to_file_columns, write_table_atomically

    write_table_atomically(to_file_columns(data.open_items), items)
    out = tmp_path / "matches.csv"
    assert (
        main(["match", "--open-items", str(items), "--payments", str(statement), "--out", str(out)])
        == 0
    )
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    auto = {r["payment_id"] for r in rows if r["status"] == "auto"}
    assert len({r["payment_id"] for r in rows}) == payments.num_rows
    assert len(auto) >= 0.6 * payments.num_rows
