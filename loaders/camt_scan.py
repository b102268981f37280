"""Tree-free read of a camt.053/camt.054 document: numba passes over the raw bytes.

:func:`scan_chunk` tokenises the XML (tags, attributes, text, comments, entity
and character references) and checks as it goes every well-formedness rule the
fast path relies on: tags balanced and matching, names, attribute syntax and
uniqueness, characters (UTF-8 and XML's character range), references, ``]]>``
in text, one root with nothing but whitespace and comments around it. It
follows each element down :data:`cashmatch.loaders.camt_paths.PATHS` (a
transition table indexed by local-name id) and records an event per element
on those paths:

* ``START``/``END`` (with the tag's byte offset) for elements that open a
  record: a statement, an entry, a transaction, a ``Strd`` block, ...;
* ``TEXT`` for leaves the reader takes text from: where the text before the
  first child starts, its length, the ``Ccy`` attribute, and whether it has
  references, non-ASCII bytes or carriage returns (packed as
  ``length | ccy << 32 | flags << 48``).

:func:`read` runs it a chunk of the file at a time (the scan stops and resumes
between two tags) and hands each chunk's events to
:func:`cashmatch.loaders.camt_rows.walk`, which writes the payment rows,
strings included, while those bytes are still in the CPU cache: gathering
strings later from all over a large file would cost more than the scan. The
working memory is the output plus one chunk's events, however big the file.

Everything the scan does not take on (a comment inside such a leaf, CDATA, a
processing instruction, a DOCTYPE, namespaces other than the root's, an
element the reader would read twice, a camt record element out of place, very
deep or very long input, ...) makes it *decline* with a reason: the caller
then leaves the file to the lxml reader, which accepts or rejects it with the
exact messages. The scan never decides that a file is bad, only that it is
plain enough to read without lxml.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from cashmatch.loaders.camt_paths import (
    CCY,
    CCY_INVALID,
    CURRENCY_EXPONENT,
    CURRENCY_INDEX,
    EV_END,
    EV_START,
    EV_TEXT,
    F_CR,
    F_HIGH,
    F_REF,
    HASH_MASK,
    HASH_SLOTS,
    MARK,
    NAME_CHARS,
    OPEN,
    REFUSE,
    TABLES,
    TEXT,
    TEXT_CLASS,
)
from cashmatch.loaders.camt_rows import ROW_REASONS, ROWS_OK, Out, walk

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
    RULES,
) = range(14)
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
    "the reader's rules (see the row status)",
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
        t = chars[c]
        if t == 1 or t == 2:
            j += 1
        elif t == 3:  # ':'
            if colon >= 0 or j + 1 >= n or chars[buf[j + 1]] != 1:
                return -1, -1
            colon = j
            j += 1
        else:
            break
    return j, colon


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


# The scanner's variables between two chunks (scan_chunk's ``v``).
(
    V_POS,
    V_DEPTH,
    V_REASON,
    V_DONE,
    V_ROOT_SEEN,
    V_ROOT_DONE,
    V_ROOT_PREFIX,
    V_ROOT_PREFIX_LEN,
    V_ROOT_CHILDREN,
    V_ROOT_TAG_START,
    V_ROOT_TAG_END,
    V_FIRST_CHILD,
) = range(12)
N_VARS = 12
# The element stack (scan_chunk's ``st``): one row per field, one column per depth.
S_NODE, S_NAME, S_NAME_LEN, S_SEEN, S_TEXT, S_TEXT_END, S_FLAGS, S_CCY = range(8)


@nb.njit(cache=True)
def scan_chunk(
    buf,
    limit,
    v,
    st,
    ev,
    count,
    trans,
    node_bit,
    node_flags,
    special,
    hash_table,
    name_bytes,
    name_off,
    chars,
    text_class,
    currency_index,
):
    """Scan from ``v[V_POS]`` until byte ``limit`` or until ``ev`` is nearly full.

    Stops only between two tags, with its state in ``v`` and ``st``, and
    resumes there on the next call. Returns the number of events in ``ev``
    (it appends after ``count``). ``v[V_REASON]`` is OK or why it declined;
    ``v[V_DONE]`` is 1 at the end of the document.
    """
    n = buf.shape[0]
    i = v[V_POS]
    depth = v[V_DEPTH]
    root_done = v[V_ROOT_DONE] != 0
    root_ps = v[V_ROOT_PREFIX]
    root_pl = v[V_ROOT_PREFIX_LEN]
    attr_s = np.empty(_MAX_ATTRS, np.int64)
    attr_l = np.empty(_MAX_ATTRS, np.int64)
    full = ev.shape[0] - 4  # an element adds at most two events
    reason = OK
    top = 0  # the frame that closes, and the byte after its end
    after = 0
    while True:
        if i >= n:
            if depth != 0 or not root_done:
                reason = TRUNCATED
            v[V_DONE] = 1
            break
        if count >= full or i >= limit:
            break
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
                t = text_class[buf[j]]
                if t == 0:
                    j += 1
                elif t == 1:  # '<'
                    break
                elif t == 2:  # '&'
                    k = _reference_len(buf, j, n)
                    if k == 0:
                        reason = BAD_REF
                        break
                    flags |= F_REF
                    j += k
                elif t == 3:
                    k = _utf8_len(buf, j, n)
                    if k == 0:
                        reason = BAD_UTF8
                        break
                    flags |= F_HIGH
                    j += k
                elif t == 4:
                    flags |= F_CR
                    j += 1
                elif t == 5:
                    reason = BAD_CHAR
                    break
                elif j - 2 >= i and buf[j - 1] == 93 and buf[j - 2] == 93:
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
            if st[S_TEXT_END, depth - 1] < 0:
                st[S_FLAGS, depth - 1] |= flags
            i = j
            continue
        # markup
        if i + 1 >= n:
            reason = TRUNCATED
            break
        d = buf[i + 1]
        if depth > 0 and st[S_TEXT_END, depth - 1] < 0:
            st[S_TEXT_END, depth - 1] = i  # the text the reader sees ends at the first markup
        if d == 47:  # '/': end tag
            if depth == 0:
                reason = MISMATCH
                break
            top = depth - 1
            qs = st[S_NAME, top]
            ql = st[S_NAME_LEN, top]
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
            if buf[j] != 62:
                while j < n and _is_space(buf[j]):
                    j += 1
                if j >= n or buf[j] != 62:
                    reason = MISMATCH
                    break
            after = j + 1
        elif d == 33:  # '!': only comments are read here
            if not (i + 3 < n and buf[i + 2] == 45 and buf[i + 3] == 45):
                reason = UNSUPPORTED  # DOCTYPE, CDATA
                break
            parent = st[S_NODE, depth - 1] if depth > 0 else -1
            if parent >= 0 and node_flags[parent] & (TEXT | MARK) == TEXT:
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
        elif d == 63:  # '?': processing instructions are left to lxml
            reason = UNSUPPORTED
            break
        else:
            # start tag: the qualified name, hashing its local part as it goes
            if root_done:
                reason = OUTSIDE_ROOT
                break
            qs = i + 1
            if chars[d] != 1:
                reason = BAD_TAG
                break
            h = np.int64(d)
            colon = -1
            j = qs + 1
            while j < n:
                c = buf[j]
                t = chars[c]
                if t == 0:
                    break
                if t == 3:  # ':'
                    if colon >= 0 or j + 1 >= n or chars[buf[j + 1]] != 1:
                        reason = BAD_TAG
                        break
                    colon = j
                    h = 0
                else:
                    h = (h * 33 + c) & HASH_MASK
                j += 1
            if reason != OK:
                break
            qe = j
            if qe - qs > 1000:
                reason = TOO_BIG
                break
            ls = qs
            if colon >= 0:
                ls = colon + 1
                pl = colon - qs
            else:
                pl = 0
            if depth == 0:
                root_ps = qs
                root_pl = pl
            elif pl != root_pl:
                reason = PREFIX
                break
            elif pl:
                for k in range(pl):
                    if buf[qs + k] != buf[root_ps + k]:
                        reason = PREFIX
                        break
                if reason != OK:
                    break
            # The name's id, if the paths use it. Below an element off the paths only
            # the special names matter (4 or 6 letters): no lookup for the others.
            parent = st[S_NODE, depth - 1] if depth > 0 else 0
            name = -1
            if parent >= 0 or qe - ls == 4 or qe - ls == 6:
                slot = h & HASH_SLOTS
                while True:
                    candidate = hash_table[slot]
                    if candidate < 0:
                        break
                    a = name_off[candidate]
                    if name_off[candidate + 1] - a == qe - ls:
                        same = True
                        for k in range(qe - ls):
                            if name_bytes[a + k] != buf[ls + k]:
                                same = False
                                break
                        if same:
                            name = candidate
                            break
                    slot = (slot + 1) & HASH_SLOTS
            node = -1
            if parent >= 0 and name >= 0:
                node = trans[parent, name]
            ccy = 0
            self_closing = False
            if j < n and buf[j] == 62:  # no attributes, the usual case
                j += 1
            elif j + 1 < n and buf[j] == 47 and buf[j + 1] == 62:
                j += 2
                self_closing = True
            else:
                wants_ccy = node >= 0 and (node_flags[node] & CCY) != 0
                n_attrs = 0
                closed = False
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
                        # Namespace declarations and prefixed attributes only on the
                        # root (checked there by the caller): elsewhere they could move
                        # elements out of the reader's namespace.
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
                    if reason != OK or j >= n:
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
                        ccy = CCY_INVALID if has_ref else _currency(buf, vs, j, currency_index)
                    j += 1
                if reason != OK:
                    break
                if not closed:
                    reason = BAD_TAG if j < n else TRUNCATED
                    break
            if depth == 0:
                if v[V_ROOT_SEEN]:
                    reason = OUTSIDE_ROOT
                    break
                v[V_ROOT_SEEN] = 1
                v[V_ROOT_TAG_START] = i
                v[V_ROOT_TAG_END] = j
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
                    if st[S_SEEN, depth - 1] & mask:
                        reason = REPEATED
                        break
                    st[S_SEEN, depth - 1] |= mask
                if fl & OPEN:
                    ev[count, 0] = node * 4 + EV_START
                    ev[count, 1] = i
                    ev[count, 2] = 0
                    count += 1
            if depth == 1:
                if v[V_ROOT_CHILDREN] == 0:
                    v[V_FIRST_CHILD] = node
                v[V_ROOT_CHILDREN] += 1
            if depth == _MAX_DEPTH:
                reason = TOO_BIG
                break
            st[S_NODE, depth] = node
            st[S_NAME, depth] = qs
            st[S_NAME_LEN, depth] = qe - qs
            st[S_SEEN, depth] = 0
            st[S_TEXT, depth] = j
            st[S_TEXT_END, depth] = j if self_closing else -1
            st[S_FLAGS, depth] = 0
            st[S_CCY, depth] = ccy
            depth += 1
            if not self_closing:
                i = j
                continue
            top = depth - 1  # ends where it starts: closed below, with empty text
            after = j
        # -- an element ends: frame ``top``, next byte ``after`` ---------------------------
        node = st[S_NODE, top]
        i = after
        depth = top
        if depth == 0:
            root_done = True
        if node < 0:
            continue
        fl = node_flags[node]
        if fl & TEXT:
            start = st[S_TEXT, top]
            ev[count, 0] = node * 4 + EV_TEXT
            ev[count, 1] = start
            ev[count, 2] = (
                (st[S_TEXT_END, top] - start) | (st[S_CCY, top] << 32) | (st[S_FLAGS, top] << 48)
            )
            count += 1
        if fl & OPEN:
            ev[count, 0] = node * 4 + EV_END
            ev[count, 1] = i
            ev[count, 2] = 0
            count += 1
    v[V_POS] = i
    v[V_DEPTH] = depth
    v[V_REASON] = reason
    v[V_ROOT_DONE] = 1 if root_done else 0
    v[V_ROOT_PREFIX] = root_ps
    v[V_ROOT_PREFIX_LEN] = root_pl
    return count


# Input bytes per chunk: the chunk's bytes and events stay in the CPU caches until
# the walk has used them, and the two kernels are called ~100 times per 100 MB.
CHUNK_BYTES = 1 << 20
_CHUNK_EVENTS = 1 << 16


@dataclass
class Scan:
    """What :func:`read` made of a document.

    Attributes:
        reason: OK, or why the file is left to lxml (an index into REASONS).
        rule: when ``reason`` is RULES, why (an index into camt_rows.ROW_REASONS).
        stopped: byte offset where the scan stopped.
        root_tag: (start, end) byte offsets of the root's start tag.
        first_child: node of the root's first child element (-1: not on the paths).
        out: the rows (see :class:`cashmatch.loaders.camt_rows.Out`).
    """

    reason: int
    rule: int
    stopped: int
    root_tag: tuple[int, int]
    first_child: int
    out: Out

    @property
    def ok(self) -> bool:
        return self.reason == OK

    @property
    def why(self) -> str:
        """Why the scan declined, in words."""
        if self.reason == RULES:
            return ROW_REASONS[self.rule]
        return f"{REASONS[self.reason]} at byte {self.stopped}"


def read(buf: np.ndarray, start: int = 0) -> Scan:
    """Scan the document in ``buf`` (uint8) from ``start`` (after any BOM and XML declaration).

    Example:
        >>> doc = b'<Document><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>'
        >>> result = read(np.frombuffer(doc + b'</BkToCstmrStmt></Document>', np.uint8))
        >>> result.ok, result.out.grphdr, result.out.rows
        (True, True, 0)
    """
    t = TABLES
    if nb.config.DISABLE_JIT:
        # Interpreted, a uint8 scalar follows NumPy's rules (uint8 + Python int
        # stays uint8 and overflows); compiled, numba widens it. Same results
        # either way with int64 bytes (tests run the kernels both ways).
        buf = buf.astype(np.int64)
    n = buf.shape[0]
    v = np.zeros(N_VARS, np.int64)
    v[V_POS] = start
    v[V_FIRST_CHILD] = -1
    st = np.empty((8, _MAX_DEPTH), np.int64)
    ev = np.empty((_CHUNK_EVENTS, 3), np.int64)
    out = Out.for_size(n)
    count = 0
    rule = ROWS_OK
    while True:
        count = scan_chunk(
            buf,
            int(v[V_POS]) + CHUNK_BYTES,
            v,
            st,
            ev,
            count,
            t.trans,
            t.bit,
            t.flags,
            t.special,
            t.hash_table,
            t.name_bytes,
            t.name_off,
            NAME_CHARS,
            TEXT_CLASS,
            CURRENCY_INDEX,
        )
        if v[V_REASON] != OK:
            break
        done = int(out.walk(buf, ev, count, walk, t.record, t.field, CURRENCY_EXPONENT))
        if out.status != ROWS_OK:
            v[V_REASON] = RULES
            rule = out.status
            break
        # The events of an entry not ended yet stay for the next chunk.
        rest = count - done
        ev[:rest] = ev[done:count].copy()
        count = rest
        if v[V_DONE]:
            break
        if count > ev.shape[0] // 2:  # a very large entry: room for more of it
            ev = np.concatenate([ev, np.empty_like(ev)])
    return Scan(
        reason=int(v[V_REASON]),
        rule=int(rule),
        stopped=int(v[V_POS]),
        root_tag=(int(v[V_ROOT_TAG_START]), int(v[V_ROOT_TAG_END])),
        first_child=int(v[V_FIRST_CHILD]),
        out=out,
    )
