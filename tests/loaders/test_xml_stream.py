"""The streaming XML layer: head edits, encodings, processing instructions, flat memory."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pytest
from lxml import etree

from bench.formats.camt import write_camt053
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import camt_entries, xml_stream
from cashmatch.loaders.camt import load_camt, load_camt053, sniff_camt053
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.xml_stream import XmlStream, split_complete
from tests.loaders.test_camt import doc, ntry, rows, tx


def _statement(n: int) -> bytes:
    table = pa.Table.from_pylist(
        [
            {
                "payment_id": f"P{i}",
                "amount_minor": 100 + i,
                "currency": "EUR",
                "value_date": dt.date(2024, 5, 2),
                "payer_name": f"Payer {i}",
                "reference_text": f"INV-{i}",
            }
            for i in range(n)
        ],
        schema=PAYMENTS,
    )
    buffer = io.BytesIO()
    write_camt053(table, buffer)
    return buffer.getvalue()


def test_default_namespace_is_read_then_dropped_and_lines_kept():
    data = doc(ntry("1.00")).replace(b"<Document xmlns=", b"<Document\n  xmlns=")
    stream = XmlStream("x.xml", data)
    root, _final = next(stream.rounds())
    assert stream.namespace == "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
    assert root.tag == "Document"
    assert root.sourceline == etree.fromstring(data).sourceline  # the file's own line
    assert root.getchildren()[1].tag == "BkToCstmrStmt"
    # An error deep in the file still names the file's own line.
    bad = data.replace(b">1.00</Amt>", b">1.x0</Amt>")
    with pytest.raises(LoadError) as error:
        load_camt053("x.xml", data=bad)
    assert error.value.line == bad.decode().splitlines().index('<Amt Ccy="EUR">1.x0</Amt>') + 1


def test_split_complete_only_trusts_closed_elements():
    parser = etree.XMLPullParser(events=("start",))
    parser.feed(b"<a><b><c/></b><d><e/>")
    root = next(iter(parser.read_events()))[1]
    done, last = split_complete(root, True)
    assert [e.tag for e in done] == ["b"] and last.tag == "d"
    assert split_complete(root, False)[1] is None


def test_utf16_and_utf32_statements_load_like_utf8():
    parties = "<RltdPties><Dbtr><Nm>Müller Söhne ✓</Nm></Dbtr></RltdPties>"
    utf8 = doc(ntry(txs=tx(body=parties)))
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        text = utf8.decode().replace('encoding="UTF-8"', f'encoding="{codec.upper()}"')
        data = text.encode(codec)
        if codec == "utf-16-be":
            data = b"\xfe\xff" + data
        assert sniff_camt053(data[:4096]), codec
        (row,) = rows(load_camt053(f"{codec}.xml", data=data))
        assert row["payer_name"] == "Müller Söhne ✓", codec
    # Without a byte-order mark, the first '<' tells UTF-16 apart.
    (row,) = rows(load_camt053("le.xml", data=utf8.decode().encode("utf-16-le")))
    assert row["payer_name"] == "Müller Söhne ✓"
    with pytest.raises(LoadError, match="not valid UTF-16"):
        load_camt053("odd.xml", data=b"\xff\xfe" + "<Document>".encode("utf-16-le") + b"\x00\xd8")


def test_foreign_processing_instructions_are_removed_with_their_text_kept():
    body = "<RmtInf><Ustrd>INV-<?page 2?>42 paid</Ustrd></RmtInf>"
    data = doc(ntry(txs=tx(body=body))).replace(
        b"<Document", b'<?xml-stylesheet href="s.xsl"?>\n<Document', 1
    )
    (row,) = rows(load_camt053("pi.xml", data=data))
    assert row["reference_text"] == "INV-42 paid"


def test_doctype_is_refused_before_anything_is_parsed():
    data = doc(ntry()).replace(b"<Document", b'<!DOCTYPE x SYSTEM "http://x/">\n<Document', 1)
    with pytest.raises(LoadError, match="DOCTYPE") as error:
        load_camt053("d.xml", data=data)
    assert error.value.line == 2


def test_a_root_beyond_the_head_limit_is_parsed_whole(monkeypatch):
    monkeypatch.setattr(xml_stream, "HEAD_LIMIT", 64)
    monkeypatch.setattr(xml_stream, "CHUNK_BYTES", 32)
    data = doc(ntry("3.00")).replace(b"<Document", b"<!--" + b"x" * 200 + b"-->\n<Document", 1)
    (row,) = rows(load_camt053("late.xml", data=data))
    assert row["amount_minor"] == 300


def test_memory_stays_flat_the_tree_holds_about_a_chunk(monkeypatch):
    """Entries are deleted as they are read: the statement never holds more than a chunk's."""
    monkeypatch.setattr(xml_stream, "CHUNK_BYTES", 4096)
    data = _statement(600)
    largest = 0
    original = camt_entries.EntryReader.entry

    def spy(self, entry, report, path):
        nonlocal largest
        largest = max(largest, len(entry.getparent()))
        return original(self, entry, report, path)

    monkeypatch.setattr(camt_entries.EntryReader, "entry", spy)
    loaded = load_camt053("big.xml", data=data)
    assert loaded.payments.num_rows == 600
    assert largest < 20  # a 4 KiB chunk holds a few entries (header elements included)
    assert loaded.payments.column("payment_id").to_pylist()[:2] == ["P0", "P1"]


def test_chunk_size_changes_nothing(monkeypatch):
    data = _statement(50)
    expected = load_camt("s.xml", data=data).payments
    for size in (1, 7, 100, 1 << 20):
        monkeypatch.setattr(xml_stream, "CHUNK_BYTES", size)
        assert load_camt("s.xml", data=data).payments.equals(expected), size
