"""The element paths the camt reader reads, as tables for the numba scanner.

:data:`PATHS` lists, from ``Document`` through ``Stmt``/``Ntfctn``, ``Ntry``
and ``TxDtls`` down to the leaves, every element whose text or presence
:class:`cashmatch.loaders.camt._Reader` uses, and what it is: a record that
opens (a statement, an entry, a transaction, a ``Strd`` block, ...) or a field
of one. Elements the reader takes the first or the last of may appear once
here: the fast path does not guess which one wins, it leaves such files to the
reader. :class:`Tables` flattens the paths into arrays (a transition table by
local-name id, flags, the record and field of each node) and a hash table of
the names; the currency codes get a direct index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cashmatch.engine.money import CURRENCY_EXPONENTS

# -- what the reader reads: records, their fields, and the element paths to them --------

# Records (what an opening element starts) and the fields of each.
DOC, STMT, ENTRY, TX, STRD, DISC, ADJ = range(7)
D_MSGID, D_GRPHDR = range(2)
S_ID, S_IBAN, S_OTHR, S_TTL_NB, S_TTL_SUM, S_CDT_NB, S_CDT_SUM, S_DBT_NB, S_DBT_SUM = range(9)
(
    E_AMT,
    E_CDI,
    E_RVSL,
    E_STS,
    E_STS_CODE,
    E_BOOKG_HOLDER,
    E_BOOKG,
    E_VAL_HOLDER,
    E_VAL,
    E_ACCT_REF,
    E_NTRY_REF,
    E_INFO,
) = range(12)
(
    T_ACCT_REF,
    T_E2E,
    T_TXID,
    T_INSTR,
    T_UETR,
    T_CHQ,
    T_AMT,
    T_TXAMT,
    T_CDI,
    T_DBTR,
    T_ULTMT,
    T_ACCOUNT,
    T_RTR,
    T_INFO,
    T_USTRD,
) = range(15)
R_NB, R_CREF, R_PAID, R_DUE, R_CNOTE = range(5)
X_OWN, X_AMT = range(2)
A_AMT, A_CDI, A_REASON = range(3)
N_FIELDS = 15  # the most fields of any record

# Node flags. MARK: a TEXT whose text is never read, only that the element is there.
OPEN, TEXT, CCY, REFUSE, CONTAINER, MARK = 1, 2, 4, 8, 16, 32
# Event kinds (low two bits of an event's code; the node is code >> 2).
EV_START, EV_END, EV_TEXT = 0, 1, 2
# Bits of a TEXT event's flags (packed << 48).
F_REF, F_HIGH, F_CR = 1, 2, 4
CCY_INVALID = 0xFFFF  # a Ccy attribute that is not a known code as written


@dataclass(frozen=True)
class Node:
    """One element of :data:`PATHS`.

    Attributes:
        name: local name.
        record: the record its TEXT or START/END events belong to.
        field: the record field its TEXT fills (-1: none).
        flags: OPEN, TEXT, CCY, REFUSE, CONTAINER, MARK.
        once: siblings sharing a ``once`` key may appear once in all, together
            (the reader takes the first or last of them; the fast path does not
            guess which); None for elements that repeat.
        children: what is read below it.
    """

    name: str
    record: int = -1
    field: int = -1
    flags: int = 0
    once: str | None = "self"
    children: tuple[Node, ...] = ()


def _leaf(name: str, record: int, field: int, *, ccy: bool = False, once: str = "self") -> Node:
    return Node(name, record, field, TEXT | (CCY if ccy else 0), once)


def _party(record: int, field: int) -> tuple[Node, ...]:
    # _name(): the first Nm or Pty child decides; a Pty in a Pty is not worth following.
    inner = (_leaf("Nm", record, field, once="name"), Node("Pty", flags=REFUSE, once="name"))
    return (_leaf("Nm", record, field, once="name"), Node("Pty", once="name", children=inner))


def _dated(name: str, holder: int, field: int) -> Node:
    dates = (_leaf("Dt", ENTRY, field, once="date"), _leaf("DtTm", ENTRY, field, once="date"))
    return Node(name, ENTRY, holder, TEXT | MARK, children=dates)


_STRD = Node(
    "Strd",
    STRD,
    flags=OPEN,
    once=None,
    children=(
        Node("RfrdDocInf", once=None, children=(_leaf("Nb", STRD, R_NB),)),
        Node("CdtrRefInf", children=(_leaf("Ref", STRD, R_CREF),)),
        Node(
            "RfrdDocAmt",
            children=(
                _leaf("RmtdAmt", STRD, R_PAID, ccy=True),
                _leaf("DuePyblAmt", STRD, R_DUE, ccy=True),
                _leaf("CdtNoteAmt", STRD, R_CNOTE, ccy=True),
                Node(
                    "DscntApldAmt",
                    DISC,
                    X_OWN,
                    OPEN | TEXT | CCY,
                    once=None,
                    children=(_leaf("Amt", DISC, X_AMT, ccy=True),),
                ),
                Node(
                    "AdjstmntAmtAndRsn",
                    ADJ,
                    flags=OPEN,
                    once=None,
                    children=(
                        _leaf("Amt", ADJ, A_AMT, ccy=True),
                        _leaf("CdtDbtInd", ADJ, A_CDI),
                        _leaf("Rsn", ADJ, A_REASON, once="reason"),
                        _leaf("AddtlInf", ADJ, A_REASON, once="reason"),
                    ),
                ),
            ),
        ),
    ),
)

_TXDTLS = Node(
    "TxDtls",
    TX,
    flags=OPEN,
    once=None,
    children=(
        Node(
            "Refs",
            children=(
                _leaf("AcctSvcrRef", TX, T_ACCT_REF),
                _leaf("EndToEndId", TX, T_E2E),
                _leaf("TxId", TX, T_TXID),
                _leaf("InstrId", TX, T_INSTR),
                _leaf("UETR", TX, T_UETR),
                _leaf("ChqNb", TX, T_CHQ),
            ),
        ),
        _leaf("Amt", TX, T_AMT, ccy=True),
        Node("AmtDtls", children=(Node("TxAmt", children=(_leaf("Amt", TX, T_TXAMT, ccy=True),)),)),
        _leaf("CdtDbtInd", TX, T_CDI),
        Node(
            "RltdPties",
            children=(
                Node("Dbtr", children=_party(TX, T_DBTR)),
                Node("UltmtDbtr", children=_party(TX, T_ULTMT)),
                Node(
                    "DbtrAcct",
                    children=(
                        Node(
                            "Id",
                            children=(
                                _leaf("IBAN", TX, T_ACCOUNT, once="scheme"),
                                Node(
                                    "Othr",
                                    once="scheme",
                                    children=(_leaf("Id", TX, T_ACCOUNT),),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        Node(
            "RmtInf",
            children=(_leaf("Ustrd", TX, T_USTRD, once=None), _STRD),
        ),
        Node("RtrInf", TX, T_RTR, TEXT | MARK),
        _leaf("AddtlTxInf", TX, T_INFO),
    ),
)

_NTRY = Node(
    "Ntry",
    ENTRY,
    flags=OPEN,
    once=None,
    children=(
        _leaf("Amt", ENTRY, E_AMT, ccy=True),
        _leaf("CdtDbtInd", ENTRY, E_CDI),
        _leaf("RvslInd", ENTRY, E_RVSL),
        Node(
            "Sts",
            ENTRY,
            E_STS,
            TEXT,
            children=(
                _leaf("Cd", ENTRY, E_STS_CODE, once="code"),
                _leaf("Prtry", ENTRY, E_STS_CODE, once="code"),
            ),
        ),
        _dated("BookgDt", E_BOOKG_HOLDER, E_BOOKG),
        _dated("ValDt", E_VAL_HOLDER, E_VAL),
        _leaf("AcctSvcrRef", ENTRY, E_ACCT_REF),
        _leaf("NtryRef", ENTRY, E_NTRY_REF),
        _leaf("AddtlNtryInf", ENTRY, E_INFO),
        Node("NtryDtls", once=None, children=(_TXDTLS,)),
    ),
)


def _summary_block(name: str, count: int, total: int) -> Node:
    return Node(name, children=(_leaf("NbOfNtries", STMT, count), _leaf("Sum", STMT, total)))


_REPORT_CHILDREN = (
    _leaf("Id", STMT, S_ID),
    Node(
        "Acct",
        children=(
            Node(
                "Id",
                children=(
                    _leaf("IBAN", STMT, S_IBAN),
                    Node("Othr", children=(_leaf("Id", STMT, S_OTHR),)),
                ),
            ),
        ),
    ),
    Node(
        "TxsSummry",
        children=(
            _summary_block("TtlNtries", S_TTL_NB, S_TTL_SUM),
            _summary_block("TtlCdtNtries", S_CDT_NB, S_CDT_SUM),
            _summary_block("TtlDbtNtries", S_DBT_NB, S_DBT_SUM),
        ),
    ),
    _NTRY,
)
_GRPHDR = Node("GrpHdr", DOC, D_GRPHDR, flags=OPEN, children=(_leaf("MsgId", DOC, D_MSGID),))

# The two message kinds share everything below their report element.
PATHS = Node(
    "Document",
    children=(
        Node(
            "BkToCstmrStmt",
            DOC,
            flags=OPEN | CONTAINER,
            once="container",
            children=(
                _GRPHDR,
                Node("Stmt", STMT, flags=OPEN, once=None, children=_REPORT_CHILDREN),
            ),
        ),
        Node(
            "BkToCstmrDbtCdtNtfctn",
            DOC,
            flags=OPEN | CONTAINER,
            once="container",
            children=(
                _GRPHDR,
                Node("Ntfctn", STMT, flags=OPEN, once=None, children=_REPORT_CHILDREN),
            ),
        ),
    ),
)
# The elements the reader finds wherever they are (iterparse on {*}Name): found
# anywhere but on their path, the reader would act on them (or reject the file).
SPECIAL = ("GrpHdr", "Stmt", "Ntfctn", "Ntry")  # 4 or 6 letters: the scanner relies on it


class Tables:
    """:data:`PATHS` flattened into arrays for the kernel; node 0 is the document itself."""

    def __init__(self, root: Node = PATHS) -> None:
        nodes: list[Node] = [Node("#document", children=(root,))]
        names: dict[str, int] = {}
        edges: list[tuple[int, int, int]] = []  # parent, name id, child
        bits: list[int] = [-1]

        def name_id(name: str) -> int:
            return names.setdefault(name, len(names))

        def walk(parent: int, node: Node) -> None:
            keys: dict[str, int] = {}
            for child in node.children:
                index = len(nodes)
                nodes.append(child)
                key = child.name if child.once == "self" else child.once
                bits.append(-1 if key is None else keys.setdefault(key, len(keys)))
                edges.append((parent, name_id(child.name), index))
                walk(index, child)

        walk(0, nodes[0])
        for name in SPECIAL:
            name_id(name)
        self.nodes = nodes
        self.names = list(names)
        self.trans = np.full((len(nodes), len(names)), -1, np.int32)
        for parent, name, child in edges:
            self.trans[parent, name] = child
        self.bit = np.array(bits, np.int64)
        self.flags = np.array([n.flags for n in nodes], np.int64)
        self.record = np.array([n.record for n in nodes], np.int64)
        self.field = np.array([n.field for n in nodes], np.int64)
        self.special = np.array([n in SPECIAL for n in self.names], np.bool_)
        encoded = [n.encode() for n in self.names]
        self.name_bytes = np.frombuffer(b"".join(encoded), np.uint8).copy()
        self.name_off = np.cumsum([0] + [len(e) for e in encoded]).astype(np.int64)
        self.hash_table = np.full(_HASH_SIZE, -1, np.int64)
        for i, raw in enumerate(encoded):
            slot = _hash(raw) & HASH_SLOTS
            while self.hash_table[slot] >= 0:
                slot = (slot + 1) & HASH_SLOTS
            self.hash_table[slot] = i

    def node_of(self, *path: str) -> int:
        """The node of an element path below the document (for tests and the caller)."""
        node = 0
        for step in path:
            node = int(self.trans[node, self.names.index(step)])
        return node


_HASH_SIZE = 1024
HASH_SLOTS = _HASH_SIZE - 1
HASH_MASK = 0xFFFFF  # the kernel's running hash h = (h * 33 + byte) & HASH_MASK


def _hash(raw: bytes) -> int:
    h = 0
    for c in raw:
        h = (h * 33 + c) & HASH_MASK
    return h


# Byte classes: 1 may start a name, 2 may continue one (ASCII names only; others decline).
NAME_CHARS = np.zeros(256, np.uint8)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
    NAME_CHARS[_c] = 1
for _c in b"0123456789.-":
    NAME_CHARS[_c] = 2
NAME_CHARS[ord(":")] = 3  # between a prefix and a local name

CURRENCY_CODES = sorted(CURRENCY_EXPONENTS)
CURRENCY_EXPONENT = np.array([CURRENCY_EXPONENTS[c] for c in CURRENCY_CODES], np.int64)
# Code "ABC" -> index into CURRENCY_CODES, by (A-65)*676 + (B-65)*26 + (C-65).
CURRENCY_INDEX = np.full(26**3, -1, np.int64)
for _i, _code in enumerate(CURRENCY_CODES):
    _a, _b, _c = (ord(x) - 65 for x in _code)
    CURRENCY_INDEX[_a * 676 + _b * 26 + _c] = _i


# Bytes in text: 0 plain, 1 '<', 2 '&', 3 start of a multi-byte UTF-8 character,
# 4 CR, 5 not allowed in XML, 6 '>' (not allowed after "]]").
TEXT_CLASS = np.zeros(256, np.uint8)
TEXT_CLASS[:32] = 5
TEXT_CLASS[[9, 10]] = 0
TEXT_CLASS[13] = 4
TEXT_CLASS[60] = 1
TEXT_CLASS[38] = 2
TEXT_CLASS[62] = 6
TEXT_CLASS[128:] = 3

TABLES = Tables()
