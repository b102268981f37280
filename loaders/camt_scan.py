"""Tree-free scan of a camt.053/camt.054 document: one numba pass over the raw bytes.

The scanner tokenises the XML (tags, attributes, text, comments, entity and
character references) and checks as it goes every well-formedness rule the
fast path relies on: tags balanced and matching, names, attribute syntax and
uniqueness, characters (UTF-8 and XML's character range), references,
``]]>`` in text, one root, nothing but whitespace and comments around it. It
follows each element's path down a small table of the paths the camt reader
reads (:data:`PATHS`, from ``Document`` through ``Stmt``/``Ntfctn``, ``Ntry``
and ``TxDtls`` to the leaves) and emits an event for each element on those
paths:

* ``START``/``END`` (with the tag's byte offset) for elements that open a
  record: a statement, an entry, a transaction, a ``Strd`` block, ...;
* ``TEXT`` for leaves the reader takes text from: where the text before the
  first child starts, its length, the ``Ccy`` attribute, and whether it has
  references, non-ASCII bytes or carriage returns.

Everything else (a comment inside such a leaf, CDATA, a processing
instruction, a DOCTYPE, namespaces other than the root's, an element the
reader would read twice, a camt record element out of place, very deep or
very long input, ...) makes the scan *decline* with a reason: the caller then
leaves the file to the lxml reader, which accepts or rejects it with the
exact messages. The scanner never decides that a file is bad, only that it is
plain enough to read without lxml.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
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
SPECIAL = ("GrpHdr", "Stmt", "Ntfctn", "Ntry")


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
            slot = _hash(raw) & (_HASH_SIZE - 1)
            while self.hash_table[slot] >= 0:
                slot = (slot + 1) & (_HASH_SIZE - 1)
            self.hash_table[slot] = i

    def node_of(self, *path: str) -> int:
        """The node of an element path below the document (for tests and the caller)."""
        node = 0
        for step in path:
            node = int(self.trans[node, self.names.index(step)])
        return node


_HASH_SIZE = 1024
_HASH_MASK = 0xFFFFF


def _hash(raw: bytes) -> int:
    h = 0
    for c in raw:
        h = (h * 33 + c) & _HASH_MASK
    return h


# Byte classes: 1 may start a name, 2 may continue one (ASCII names only; others decline).
NAME_CHARS = np.zeros(256, np.uint8)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
    NAME_CHARS[_c] = 1
for _c in b"0123456789.-":
    NAME_CHARS[_c] = 2

CURRENCY_CODES = sorted(CURRENCY_EXPONENTS)
CURRENCY_EXPONENT = np.array([CURRENCY_EXPONENTS[c] for c in CURRENCY_CODES], np.int64)
# Code "ABC" -> index into CURRENCY_CODES, by (A-65)*676 + (B-65)*26 + (C-65).
CURRENCY_INDEX = np.full(26**3, -1, np.int64)
for _i, _code in enumerate(CURRENCY_CODES):
    _a, _b, _c = (ord(x) - 65 for x in _code)
    CURRENCY_INDEX[_a * 676 + _b * 26 + _c] = _i

# Why a scan declined (for tests and debugging; the caller only needs "not OK").
(
    OK,
    BAD_CHAR,
    BAD_UTF8,
    BAD_REF,
    BAD_TAG,
    MISMATCH,
    UNSUPPORTED,
    PREFIX,
    STRUCTURE,
    REPEATED,
    TOO_BIG,
    OUTSIDE_ROOT,
    TRUNCATED,
) = range(13)
REASONS = (
    "ok",
    "character not allowed",
    "invalid UTF-8",
    "bad reference",
    "bad tag",
    "end tag does not match",
    "construct left to lxml",
    "namespace prefix",
    "element out of place",
    "element repeated",
    "too deep or too long",
    "content outside the root",
    "truncated",
)
_MAX_DEPTH = 96
_MAX_TOKEN = 1 << 20  # libxml2 refuses some text nodes over 10 MB without huge_tree
_MAX_ATTRS = 16


@nb.njit(cache=True)
def _utf8_len(buf, i, n):
    """Length of the valid UTF-8 XML character at ``buf[i]`` (>= 0x80), or 0."""
    c = buf[i]
    if 0xC2 <= c <= 0xDF:
        if i + 1 < n and (buf[i + 1] & 0xC0) == 0x80:
            return 2
        return 0
    if 0xE0 <= c <= 0xEF:
        if i + 2 >= n:
            return 0
        c1, c2 = buf[i + 1], buf[i + 2]
        if (c1 & 0xC0) != 0x80 or (c2 & 0xC0) != 0x80:
            return 0
        if c == 0xE0 and c1 < 0xA0:
            return 0  # overlong
        if c == 0xED and c1 >= 0xA0:
            return 0  # surrogate
        if c == 0xEF and c1 == 0xBF and c2 >= 0xBE:
            return 0  # U+FFFE, U+FFFF are not XML characters
        return 3
    if 0xF0 <= c <= 0xF4:
        if i + 3 >= n:
            return 0
        c1 = buf[i + 1]
        if (c1 & 0xC0) != 0x80 or (buf[i + 2] & 0xC0) != 0x80 or (buf[i + 3] & 0xC0) != 0x80:
            return 0
        if (c == 0xF0 and c1 < 0x90) or (c == 0xF4 and c1 >= 0x90):
            return 0
        return 4
    return 0


@nb.njit(cache=True)
def _reference_len(buf, i, n):
    """Length of the reference starting with ``&`` at ``buf[i]``, or 0 if it is not one libxml2
    would accept without a DTD (the five predefined entities, character references)."""
    j = i + 1
    if j >= n:
        return 0
    if buf[j] == 35:  # '#'
        j += 1
        cp = 0
        digits = 0
        if j < n and buf[j] == 120:  # 'x'
            j += 1
            while j < n and digits <= 6:
                c = buf[j]
                if 48 <= c <= 57:
                    cp = cp * 16 + (c - 48)
                elif 65 <= c <= 70:
                    cp = cp * 16 + (c - 55)
                elif 97 <= c <= 102:
                    cp = cp * 16 + (c - 87)
                else:
                    break
                digits += 1
                j += 1
        else:
            while j < n and digits <= 7:
                c = buf[j]
                if 48 <= c <= 57:
                    cp = cp * 10 + (c - 48)
                else:
                    break
                digits += 1
                j += 1
        if digits == 0 or digits > 6 or j >= n or buf[j] != 59:
            return 0
        valid = (
            cp == 9
            or cp == 10
            or cp == 13
            or (0x20 <= cp <= 0xD7FF)
            or (0xE000 <= cp <= 0xFFFD)
            or (0x10000 <= cp <= 0x10FFFF)
        )
        return j + 1 - i if valid else 0
    # amp; lt; gt; quot; apos;
    if j + 3 < n and buf[j] == 97 and buf[j + 1] == 109 and buf[j + 2] == 112 and buf[j + 3] == 59:
        return 5
    if j + 2 < n and buf[j + 1] == 116 and buf[j + 2] == 59 and (buf[j] == 108 or buf[j] == 103):
        return 4
    if j + 4 < n and buf[j + 4] == 59:
        if buf[j] == 113 and buf[j + 1] == 117 and buf[j + 2] == 111 and buf[j + 3] == 116:
            return 6
        if buf[j] == 97 and buf[j + 1] == 112 and buf[j + 2] == 111 and buf[j + 3] == 115:
            return 6
    return 0


@nb.njit(cache=True)
def _is_space(c):
    return c == 32 or c == 10 or c == 9 or c == 13


@nb.njit(cache=True)
def _name_end(buf, i, n, chars):
    """End of the (prefix:)name at ``buf[i]``, and where its colon is (-1: none); (-1, -1) if
    it is not an ASCII XML name with at most one colon between two parts."""
    if i >= n or chars[buf[i]] != 1:
        return -1, -1
    colon = -1
    j = i + 1
    while j < n:
        c = buf[j]
        if chars[c] != 0:
            j += 1
        elif c == 58:  # ':'
            if colon >= 0 or j + 1 >= n or chars[buf[j + 1]] != 1:
                return -1, -1
            colon = j
            j += 1
        else:
            break
    return j, colon


@nb.njit(cache=True)
def _lookup(buf, s, e, hash_table, name_bytes, name_off):
    """The name id of ``buf[s:e]``, or -1 for names the paths do not use."""
    h = 0
    for k in range(s, e):
        h = (h * 33 + buf[k]) & 0xFFFFF
    slot = h & 1023
    while True:
        name = hash_table[slot]
        if name < 0:
            return -1
        a, b = name_off[name], name_off[name + 1]
        if b - a == e - s:
            same = True
            for k in range(b - a):
                if name_bytes[a + k] != buf[s + k]:
                    same = False
                    break
            if same:
                return name
        slot = (slot + 1) & 1023


@nb.njit(cache=True)
def _currency(buf, s, e, index):
    """1 + the index of the currency code ``buf[s:e]``, or CCY_INVALID."""
    if e - s != 3:
        return 0xFFFF
    key = 0
    for k in range(s, e):
        c = buf[k]
        if c < 65 or c > 90:
            return 0xFFFF
        key = key * 26 + (c - 65)
    found = index[key]
    return 0xFFFF if found < 0 else found + 1


@nb.njit(cache=True)
def _emit(events, count, code, a, b):
    if count == events.shape[0]:
        bigger = np.empty((events.shape[0] * 2, 3), np.int64)
        bigger[:count] = events[:count]
        events = bigger
    events[count, 0] = code
    events[count, 1] = a
    events[count, 2] = b
    return events, count + 1


@nb.njit(cache=True)
def scan_kernel(
    buf,
    pos,
    trans,
    node_bit,
    node_flags,
    special,
    hash_table,
    name_bytes,
    name_off,
    chars,
    currency_index,
    capacity,
):
    """Scan ``buf[pos:]`` (after any BOM and XML declaration).

    Returns:
        (events, n_events, info): events int64 [n, 3] as (node << 2 | kind,
        offset, packed); info int64 [6]: reason (OK or why it declined), byte
        offset where it stopped, root start tag's start and end, the root's
        first child's node, and the end of the root element.
    """
    n = buf.shape[0]
    info = np.zeros(6, np.int64)
    events = np.empty((max(capacity, 16), 3), np.int64)
    count = 0
    st_node = np.empty(_MAX_DEPTH, np.int64)
    st_qs = np.empty(_MAX_DEPTH, np.int64)
    st_ql = np.empty(_MAX_DEPTH, np.int64)
    st_mask = np.empty(_MAX_DEPTH, np.int64)
    st_ts = np.empty(_MAX_DEPTH, np.int64)
    st_te = np.empty(_MAX_DEPTH, np.int64)
    st_fl = np.empty(_MAX_DEPTH, np.int64)
    st_ccy = np.empty(_MAX_DEPTH, np.int64)
    attr_s = np.empty(_MAX_ATTRS, np.int64)
    attr_l = np.empty(_MAX_ATTRS, np.int64)
    depth = 0
    root_seen = False
    root_done = False
    root_ps = 0
    root_pl = 0
    root_children = 0
    i = pos
    reason = OK
    while i < n:
        c = buf[i]
        if c != 60:  # text
            if depth == 0:
                if _is_space(c):
                    i += 1
                    continue
                reason = OUTSIDE_ROOT
                break
            j = i
            flags = 0
            while j < n:
                c = buf[j]
                if c == 60:
                    break
                if c < 32:
                    if c == 13:
                        flags |= F_CR
                    elif c != 10 and c != 9:
                        reason = BAD_CHAR
                        break
                    j += 1
                elif c >= 128:
                    k = _utf8_len(buf, j, n)
                    if k == 0:
                        reason = BAD_UTF8
                        break
                    flags |= F_HIGH
                    j += k
                elif c == 38:
                    k = _reference_len(buf, j, n)
                    if k == 0:
                        reason = BAD_REF
                        break
                    flags |= F_REF
                    j += k
                elif c == 62 and j - 2 >= i and buf[j - 1] == 93 and buf[j - 2] == 93:
                    reason = BAD_CHAR  # "]]>" in text
                    break
                else:
                    j += 1
            if reason != OK:
                i = j
                break
            if j - i > _MAX_TOKEN:
                reason = TOO_BIG
                break
            top = depth - 1
            if st_te[top] < 0:
                st_fl[top] |= flags
            i = j
            continue
        # markup
        if i + 1 >= n:
            reason = TRUNCATED
            break
        d = buf[i + 1]
        if depth > 0 and st_te[depth - 1] < 0:
            st_te[depth - 1] = i  # the text the reader sees ends at the first markup
        if d == 33:  # '!': only comments are read here
            if not (i + 3 < n and buf[i + 2] == 45 and buf[i + 3] == 45):
                reason = UNSUPPORTED  # DOCTYPE, CDATA
                break
            if depth > 0 and st_node[depth - 1] >= 0:
                if node_flags[st_node[depth - 1]] & (TEXT | MARK) == TEXT:
                    reason = UNSUPPORTED  # libxml2 would join the text around it
                    break
            j = i + 4
            closed = False
            while j + 1 < n:
                c = buf[j]
                if c == 45 and buf[j + 1] == 45:
                    if j + 2 < n and buf[j + 2] == 62:
                        closed = True
                    break
                if c < 32:
                    if c != 10 and c != 9 and c != 13:
                        break
                    j += 1
                elif c >= 128:
                    k = _utf8_len(buf, j, n)
                    if k == 0:
                        break
                    j += k
                else:
                    j += 1
            if not closed:
                reason = UNSUPPORTED
                break
            i = j + 3
            continue
        if d == 63:  # '?': processing instructions are left to lxml
            reason = UNSUPPORTED
            break
        if d == 47:  # '/': end tag
            if depth == 0:
                reason = MISMATCH
                break
            top = depth - 1
            qs, ql = st_qs[top], st_ql[top]
            j = i + 2
            if j + ql >= n:
                reason = TRUNCATED
                break
            for k in range(ql):
                if buf[j + k] != buf[qs + k]:
                    reason = MISMATCH
                    break
            if reason != OK:
                break
            j += ql
            while j < n and _is_space(buf[j]):
                j += 1
            if j >= n or buf[j] != 62:
                reason = MISMATCH
                break
            node = st_node[top]
            if node >= 0:
                fl = node_flags[node]
                if fl & TEXT:
                    length = st_te[top] - st_ts[top]
                    packed = length | (st_ccy[top] << 32) | (st_fl[top] << 48)
                    events, count = _emit(events, count, node * 4 + EV_TEXT, st_ts[top], packed)
                if fl & OPEN:
                    events, count = _emit(events, count, node * 4 + EV_END, i, 0)
            depth -= 1
            i = j + 1
            if depth == 0:
                root_done = True
                info[5] = i
            continue
        # start tag
        if root_done:
            reason = OUTSIDE_ROOT
            break
        qs = i + 1
        qe, colon = _name_end(buf, qs, n, chars)
        if qe < 0:
            reason = BAD_TAG
            break
        if qe - qs > 1000:
            reason = TOO_BIG
            break
        ls = qs if colon < 0 else colon + 1
        pl = 0 if colon < 0 else colon - qs
        if depth == 0:
            root_ps, root_pl = qs, pl
        else:
            if pl != root_pl:
                reason = PREFIX
                break
            for k in range(pl):
                if buf[qs + k] != buf[root_ps + k]:
                    reason = PREFIX
                    break
            if reason != OK:
                break
        name = _lookup(buf, ls, qe, hash_table, name_bytes, name_off)
        # attributes
        j = qe
        ccy = 0
        n_attrs = 0
        self_closing = False
        closed = False
        parent = st_node[depth - 1] if depth > 0 else 0
        node = -1
        if parent >= 0 and name >= 0:
            node = trans[parent, name]
        wants_ccy = node >= 0 and (node_flags[node] & CCY) != 0
        while j < n:
            spaced = False
            while j < n and _is_space(buf[j]):
                j += 1
                spaced = True
            if j >= n:
                break
            c = buf[j]
            if c == 62:
                j += 1
                closed = True
                break
            if c == 47:
                if j + 1 < n and buf[j + 1] == 62:
                    j += 2
                    closed = True
                    self_closing = True
                break
            if not spaced:
                break
            as_ = j
            ae, acolon = _name_end(buf, j, n, chars)
            if ae < 0:
                break
            if depth > 0:
                # Namespace declarations and prefixed attributes only on the root
                # (checked there by the caller); elsewhere they could move elements
                # out of the reader's namespace.
                if acolon >= 0:
                    reason = PREFIX
                    break
                if (
                    ae - as_ >= 5
                    and buf[as_] == 120
                    and buf[as_ + 1] == 109
                    and buf[as_ + 2] == 108
                    and buf[as_ + 3] == 110
                    and buf[as_ + 4] == 115
                ):
                    reason = PREFIX
                    break
            if n_attrs == _MAX_ATTRS:
                reason = TOO_BIG
                break
            for a in range(n_attrs):
                if attr_l[a] == ae - as_:
                    same = True
                    for k in range(ae - as_):
                        if buf[attr_s[a] + k] != buf[as_ + k]:
                            same = False
                            break
                    if same:
                        reason = BAD_TAG  # duplicate attribute
                        break
            if reason != OK:
                break
            attr_s[n_attrs] = as_
            attr_l[n_attrs] = ae - as_
            n_attrs += 1
            j = ae
            while j < n and _is_space(buf[j]):
                j += 1
            if j >= n or buf[j] != 61:  # '='
                break
            j += 1
            while j < n and _is_space(buf[j]):
                j += 1
            if j >= n or (buf[j] != 34 and buf[j] != 39):
                break
            quote = buf[j]
            vs = j + 1
            j = vs
            has_ref = False
            while j < n:
                c = buf[j]
                if c == quote:
                    break
                if c == 60:
                    reason = BAD_TAG
                    break
                if c < 32:
                    if c != 9 and c != 10 and c != 13:
                        reason = BAD_CHAR
                        break
                    j += 1
                elif c >= 128:
                    k = _utf8_len(buf, j, n)
                    if k == 0:
                        reason = BAD_UTF8
                        break
                    j += k
                elif c == 38:
                    k = _reference_len(buf, j, n)
                    if k == 0:
                        reason = BAD_REF
                        break
                    has_ref = True
                    j += k
                else:
                    j += 1
            if reason != OK:
                break
            if j >= n:
                break
            if j - vs > _MAX_TOKEN:
                reason = TOO_BIG
                break
            if (
                wants_ccy
                and ae - as_ == 3
                and buf[as_] == 67
                and buf[as_ + 1] == 99
                and buf[as_ + 2] == 121
            ):
                ccy = 0xFFFF if has_ref else _currency(buf, vs, j, currency_index)
            j += 1
        if reason != OK:
            break
        if not closed:
            reason = BAD_TAG if j < n else TRUNCATED
            break
        if depth == 0:
            if root_seen:
                reason = OUTSIDE_ROOT
                break
            root_seen = True
            info[2], info[3] = i, j
        if node < 0:
            if name >= 0 and special[name]:
                reason = STRUCTURE
                break
        else:
            fl = node_flags[node]
            if fl & REFUSE:
                reason = STRUCTURE
                break
            bit = node_bit[node]
            if bit >= 0 and depth > 0:
                mask = np.int64(1) << bit
                if st_mask[depth - 1] & mask:
                    reason = REPEATED
                    break
                st_mask[depth - 1] |= mask
            if fl & OPEN:
                events, count = _emit(events, count, node * 4 + EV_START, i, 0)
        if depth == 1:
            if root_children == 0:
                info[4] = node
            root_children += 1
        if self_closing:
            if node >= 0:
                fl = node_flags[node]
                if fl & TEXT:
                    events, count = _emit(events, count, node * 4 + EV_TEXT, j, ccy << 32)
                if fl & OPEN:
                    events, count = _emit(events, count, node * 4 + EV_END, i, 0)
            if depth == 0:
                root_done = True
                info[5] = j
        else:
            if depth == _MAX_DEPTH:
                reason = TOO_BIG
                break
            st_node[depth] = node
            st_qs[depth] = qs
            st_ql[depth] = qe - qs
            st_mask[depth] = 0
            st_ts[depth] = j
            st_te[depth] = -1
            st_fl[depth] = 0
            st_ccy[depth] = ccy
            depth += 1
        i = j
    if reason == OK and (depth != 0 or not root_done):
        reason = TRUNCATED
    info[0] = reason
    info[1] = i
    return events, count, info


TABLES = Tables()


@dataclass
class Scan:
    """What :func:`scan` found: events, or why it declined.

    Attributes:
        reason: OK, or the code of why the file is left to lxml (see REASONS).
        stopped: byte offset where the scan stopped.
        events: int64 [n, 3]: (node << 2 | kind, offset, packed); see the module doc.
        root_tag: (start, end) byte offsets of the root's start tag.
        first_child: node of the root's first child element (-1: not on the paths).
        root_end: byte offset just past the root element.
    """

    reason: int
    stopped: int
    events: np.ndarray
    root_tag: tuple[int, int]
    first_child: int
    root_end: int

    @property
    def ok(self) -> bool:
        return self.reason == OK


def scan(buf: np.ndarray, start: int = 0) -> Scan:
    """Scan the document in ``buf`` (uint8) from ``start`` (after any BOM and XML declaration).

    Example:
        >>> doc = b'<Document><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>'
        >>> result = scan(np.frombuffer(doc + b'</BkToCstmrStmt></Document>', np.uint8))
        >>> result.ok, len(result.events)
        (True, 5)
    """
    t = TABLES
    # About one event per 40 bytes of a typical statement; the kernel grows the array if not.
    capacity = max(1024, buf.shape[0] // 32)
    events, count, info = scan_kernel(
        buf,
        start,
        t.trans,
        t.bit,
        t.flags,
        t.special,
        t.hash_table,
        t.name_bytes,
        t.name_off,
        NAME_CHARS,
        CURRENCY_INDEX,
        capacity,
    )
    return Scan(
        reason=int(info[0]),
        stopped=int(info[1]),
        events=events[:count],
        root_tag=(int(info[2]), int(info[3])),
        first_child=int(info[4]),
        root_end=int(info[5]),
    )
