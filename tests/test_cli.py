"""The command line, end to end on the bundled example data."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from cashmatch.server.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_match_example_writes_every_payment(tmp_path, capsys):
    out = tmp_path / "matches.csv"
    code = main(
        [
            "match",
            "--open-items",
            str(EXAMPLES / "open_items.csv"),
            "--customers",
            str(EXAMPLES / "customers.csv"),
            "--payments",
            str(EXAMPLES / "payments.csv"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "payments read:   412" in printed and "auto-matched:" in printed
    rows = read_csv(out)
    payment_ids = {r["payment_id"] for r in read_csv(EXAMPLES / "payments.csv")}
    assert {r["payment_id"] for r in rows} == payment_ids
    truth = {
        (r["payment_id"], r["invoice_id"], r["amount_applied"])
        for r in read_csv(EXAMPLES / "truth.csv")
    }
    autos = [
        (r["payment_id"], r["invoice_id"], r["amount_applied"])
        for r in rows
        if r["status"] == "auto"
    ]
    assert len(autos) > 300
    wrong = [a for a in autos if a not in truth]
    assert len(wrong) <= len(autos) * 0.005


def test_match_to_parquet(tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "m.parquet"
    assert (
        main(
            [
                "match",
                "--open-items",
                str(EXAMPLES / "open_items.csv"),
                "--payments",
                str(EXAMPLES / "payments.csv"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pq.read_table(out)
    assert table.schema.field("amount_applied").type == "string"


def test_bad_input_is_one_clear_line_and_no_output(tmp_path, capsys):
    bad = tmp_path / "payments.csv"
    shutil.copy(EXAMPLES / "payments.csv", bad)
    lines = bad.read_text().splitlines()
    lines[3] = lines[3].replace('"EUR"', '"EURO"', 1) if '"EUR"' in lines[3] else lines[3] + "x"
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "matches.csv"
    code = main(
        [
            "match",
            "--open-items",
            str(EXAMPLES / "open_items.csv"),
            "--payments",
            str(bad),
            "--out",
            str(out),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "row 3" in err and "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["payments.csv"]


def test_settings_from_the_command_line(tmp_path, capsys):
    from cashmatch.server.cli import match_config

    config = match_config(0.97, ["fee_max_major=25", "discount_days=20", "discount_rates_bp=200"])
    assert (config.auto_threshold, config.fee_max_major, config.discount_days) == (0.97, "25", 20)
    assert config.discount_rates_bp == (200,)
    out = tmp_path / "m.csv"
    args = [
        "match",
        "--open-items",
        str(EXAMPLES / "open_items.csv"),
        "--payments",
        str(EXAMPLES / "payments.csv"),
        "--out",
        str(out),
    ]
    assert main([*args, "--set", "no_such=1"]) == 2
    assert "no such setting" in capsys.readouterr().err
    assert main([*args, "--set", "discount_days=soon"]) == 2
    assert not out.exists()


def test_inspect_reports_a_bank_file(samples_dir, capsys):
    path = samples_dir / "camt053" / "moov_finland_camt053_v02_sample_scor_rfrddoc.xml"
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "format:   camt.053" in out
    assert "payments: 6" in out and "debit=7" in out and "EUR=23075.00" in out
    assert out.count("payments:") == 1


def test_inspect_lenient_lists_problems(samples_dir, capsys):
    path = samples_dir / "mt940" / "wolph_jejik_abnamro.sta"
    assert main(["inspect", str(path)]) == 2
    assert "line 27, field ':62F:'" in capsys.readouterr().err
    assert main(["inspect", "--lenient", str(path)]) == 0
    assert capsys.readouterr().out.count("problem: ") == 2
