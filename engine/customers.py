"""Identify who paid: from the payer's account, else from the name the bank printed.

Bank statements print payer names upper-cased, abbreviated, cut to 18-35
characters and without their legal form, and a parent company may pay for its
subsidiaries. Names are compared against the customer master (thousands of
names), never against every invoice: exact normalised names and aliases first,
then a truncated name as a prefix of a known name, then fuzzy similarity with
a margin over the runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.hashing import StringLookup
from cashmatch.engine.normalize import LEGAL_FORMS, normalize_account, normalize_name

# How a payer was identified, strongest first.
BY_NONE, BY_ACCOUNT, BY_NAME, BY_PREFIX, BY_FUZZY, BY_AMBIGUOUS = 0, 1, 2, 3, 4, 5
METHODS = ("none", "account", "name", "name_prefix", "name_fuzzy", "ambiguous")
METHOD_SCORE = np.array([0.0, 1.0, 0.95, 0.9, 0.8, 0.0])
# Identifications strong enough to apply cash without a quoted reference.
STRONG_METHODS = (BY_ACCOUNT, BY_NAME, BY_PREFIX)


_LEGAL_PREFIXES = frozenset(form[:k] for form in LEGAL_FORMS for k in range(1, len(form)))


def _without_cut_legal_form(key: str) -> str | None:
    """The name without a last word that is a legal form cut short by the bank.

    Banks cut names to fit a field, often in the legal form: "... SOLUTIONS L"
    for "... Solutions Ltd". Such a fragment is no part of the name.

    Example:
        >>> _without_cut_legal_form("DELTA SOLAR SOLUTIONS L"), _without_cut_legal_form("ACME")
        ('DELTA SOLAR SOLUTIONS', None)
    """
    head, _, last = key.rpartition(" ")
    return head if head and last in _LEGAL_PREFIXES else None


def _plain_name(name: str) -> str:
    """The name normalised but not abbreviated: a bank may cut a long word short."""
    return normalize_name(name, abbreviate=False)


@dataclass
class Identification:
    """Per payment: the identified customer code (-1 none), its family code, method and score."""

    customer: np.ndarray
    family: np.ndarray
    method: np.ndarray
    score: np.ndarray


class CustomerIndex:
    """The customer master, indexed by account, normalised name and name prefix.

    Customer codes are assigned so that a parent and its subsidiaries are
    consecutive: a family's invoices are then one contiguous range.
    """

    def __init__(self, customers: pa.Table | None, open_items: pa.Table, config: MatchConfig):
        self.config = config
        names: dict[str, str] = {}
        parent: dict[str, str | None] = {}
        aliases: dict[str, list[str]] = {}
        accounts: dict[str, list[str]] = {}
        # One row per customer of the open items: its first name, and the others
        # its invoices were issued under (kept as aliases).
        by_customer = (
            open_items.select(["customer_id", "customer_name"])
            .group_by("customer_id", use_threads=False)
            .aggregate([("customer_name", "first"), ("customer_name", "distinct")])
        )
        for cid, first, distinct in zip(
            by_customer["customer_id"].to_pylist(),
            by_customer["customer_name_first"].to_pylist(),
            by_customer["customer_name_distinct"].to_pylist(),
        ):
            names[cid] = first or ""
            parent[cid] = None
            others = [name for name in distinct if name and name != first]
            if others:
                aliases[cid] = others
        if customers is not None:
            for row in customers.select(
                ["customer_id", "name", "aliases", "bank_accounts", "parent_customer_id"]
            ).to_pylist():
                cid = row["customer_id"]
                names[cid] = row["name"] or names.get(cid, "")
                parent[cid] = row["parent_customer_id"] or None
                aliases.setdefault(cid, []).extend(row["aliases"] or [])
                accounts.setdefault(cid, []).extend(row["bank_accounts"] or [])
        for cid in list(parent.values()):
            if cid is not None and cid not in names:
                names[cid], parent[cid] = "", None

        def root(cid: str) -> str:
            seen = {cid}
            while parent.get(cid) and parent[cid] not in seen:
                cid = parent[cid]
                seen.add(cid)
            return cid

        roots = {cid: root(cid) for cid in names}
        ordered = sorted(names, key=lambda cid: (roots[cid], cid != roots[cid], cid))
        self.ids = ordered
        self.code_of = {cid: k for k, cid in enumerate(ordered)}
        self._id_array = pa.array(ordered, pa.string())
        self._code_by_position = np.arange(len(ordered), dtype=np.int64)
        self.family = np.array([self.code_of[roots[cid]] for cid in ordered], np.int64)
        self.names = [names[cid] for cid in ordered]

        self._by_name: dict[str, set[int]] = {}
        self._by_account: dict[str, set[int]] = {}
        plain_names: list[tuple[str, int]] = []
        for cid in ordered:
            code = self.code_of[cid]
            for text in [names[cid], *aliases.get(cid, [])]:
                key = normalize_name(text)
                if key:
                    self._by_name.setdefault(key, set()).add(code)
                    plain_names.append((_plain_name(text), code))
                    if key != plain_names[-1][0]:
                        plain_names.append((key, code))
            for account in accounts.get(cid, []):
                key = normalize_account(account)
                if key:
                    self._by_account.setdefault(key, set()).add(code)
        plain_names.sort()
        self._prefix_keys = np.array([k for k, _ in plain_names], dtype=str)
        self._prefix_codes = np.array([c for _, c in plain_names], np.int64)
        self._fuzzy_keys = list(self._by_name)
        self._fuzzy_codes = [sorted(self._by_name[k]) for k in self._fuzzy_keys]
        # Accounts as arrays, each with its customer (-1: shared by several families).
        self._accounts = StringLookup(pa.array(list(self._by_account), pa.string()))
        self._account_code = np.array(
            [
                -1 if (code := self._resolve(codes)) is None else code
                for codes in self._by_account.values()
            ],
            np.int64,
        )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def id_array(self) -> pa.Array:
        """The customer ids as an Arrow array, by customer code."""
        return self._id_array

    def codes(self, customer_ids: pa.Array) -> np.ndarray:
        """Customer codes of customer ids."""
        positions = pc.index_in(customer_ids, value_set=self._id_array)
        return self._code_by_position[positions.to_numpy(zero_copy_only=False)]

    def _resolve(self, codes: set[int]) -> int | None:
        """One customer, or the family's parent when several of one family match."""
        if len(codes) == 1:
            return next(iter(codes))
        families = {int(self.family[c]) for c in codes}
        return families.pop() if len(families) == 1 else None

    def _by_prefix(self, key: str) -> set[int]:
        lo = np.searchsorted(self._prefix_keys, key, side="left")
        hi = np.searchsorted(self._prefix_keys, key + "\U0010ffff", side="left")
        return set(self._prefix_codes[lo:hi].tolist())

    def identify(self, payer_names: pa.Array, payer_accounts: pa.Array) -> Identification:
        """Identify the customer of each payment. Linear in payments, per distinct name."""
        n = len(payer_names)
        customer = np.full(n, -1, np.int64)
        method = np.zeros(n, np.int64)
        at = self._accounts.find(_normalized_accounts(payer_accounts))
        known = np.flatnonzero(at >= 0)
        customer[known] = self._account_code[at[known]]
        method[known] = np.where(customer[known] >= 0, BY_ACCOUNT, BY_AMBIGUOUS)

        todo = np.flatnonzero(method == BY_NONE)
        unique_names, inverse = np.unique(
            np.asarray(pc.fill_null(payer_names, "").to_numpy(zero_copy_only=False), str)[todo],
            return_inverse=True,
        )
        found_code = np.full(len(unique_names), -1, np.int64)
        found_method = np.zeros(len(unique_names), np.int64)
        fuzzy_rows, fuzzy_keys = [], []
        for u, raw in enumerate(unique_names):
            key = normalize_name(raw)
            if not key:
                continue
            cut = _without_cut_legal_form(key)
            codes = self._by_name.get(key) or (self._by_name.get(cut) if cut else None)
            if codes is not None:
                code = self._resolve(codes)
                found_code[u] = -1 if code is None else code
                found_method[u] = BY_AMBIGUOUS if code is None else BY_NAME
                continue
            plain = _plain_name(raw)
            plain = _without_cut_legal_form(plain) or plain
            if len(plain) >= self.config.name_prefix_min:
                codes = self._by_prefix(plain) | self._by_prefix(cut or key)
                if codes:
                    code = self._resolve(codes)
                    found_code[u] = -1 if code is None else code
                    found_method[u] = BY_AMBIGUOUS if code is None else BY_PREFIX
                    continue
            if len(key) >= 5:
                fuzzy_rows.append(u)
                fuzzy_keys.append(key)
        self._fuzzy(fuzzy_rows, fuzzy_keys, found_code, found_method)
        customer[todo] = found_code[inverse]
        method[todo] = found_method[inverse]
        family = np.full(n, -1, np.int64)
        known = customer >= 0
        family[known] = self.family[customer[known]]
        return Identification(customer, family, method, METHOD_SCORE[method])

    def _fuzzy(self, rows, keys, found_code, found_method) -> None:
        if not rows or not self._fuzzy_keys:
            return
        cutoff, margin = self.config.name_fuzzy_cutoff, self.config.name_fuzzy_margin
        for start in range(0, len(keys), 2048):
            chunk = keys[start : start + 2048]
            scores = process.cdist(
                chunk,
                self._fuzzy_keys,
                scorer=fuzz.ratio,
                dtype=np.uint8,
                score_cutoff=int(cutoff - margin),
                workers=-1,
            )
            for r, row in enumerate(scores):
                # Scores under the cutoff are 0: only the few others are ranked,
                # best first, the earlier name first among equals.
                scored = np.flatnonzero(row)
                if not len(scored):
                    continue
                ranked = scored[np.argsort(-row[scored].astype(np.int64), kind="stable")[:8]]
                best = int(ranked[0])
                if row[best] < cutoff:
                    continue
                u = rows[start + r]
                code = self._resolve(set(self._fuzzy_codes[best]))
                if code is None:
                    found_method[u] = BY_AMBIGUOUS
                    continue
                family = self.family[code]
                # The runner-up that matters is the best name of another family.
                runner_up = next(
                    (
                        int(row[k])
                        for k in ranked[1:]
                        if {int(self.family[c]) for c in self._fuzzy_codes[k]} != {family}
                    ),
                    0,
                )
                if int(row[best]) - runner_up < margin:
                    found_method[u] = BY_AMBIGUOUS
                    continue
                found_code[u], found_method[u] = code, BY_FUZZY


def _normalized_accounts(accounts: pa.Array) -> pa.Array:
    """:func:`normalize_account` of each value ("" for null), vectorised.

    Arrow's upper case maps one character to one; Python's can expand ("ß" to
    "SS"), so the few values that are not ASCII go through Python.
    """
    accounts = pc.fill_null(accounts.cast(pa.string()), "")
    keys = pc.replace_substring_regex(pc.ascii_upper(accounts), r"[^A-Z0-9]+", "")
    ascii_only = pc.string_is_ascii(accounts).to_numpy(zero_copy_only=False)
    if ascii_only.all():
        return keys
    values = keys.to_pylist()
    for k in np.flatnonzero(~ascii_only):
        values[k] = normalize_account(accounts[int(k)].as_py())
    return pa.array(values, pa.string())
