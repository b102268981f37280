"""Identify who paid: from the payer's account, else from the name the bank printed.

Bank statements print payer names upper-cased, abbreviated, cut to 18-35
characters and without their legal form, and a parent company may pay for its
subsidiaries. Names are compared against the customer master (thousands of
names), never against every invoice: exact normalised names and aliases first,
then a truncated name as a prefix of a known name, then fuzzy similarity with
a margin over the runner-up.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.hashing import StringLookup
from cashmatch.engine.name_blocking import FuzzyNames
from cashmatch.engine.normalize import (
    LEGAL_FORMS,
    TRANSLITERATED_LEGAL_FORMS,
    name_skeleton,
    name_variants,
    normalize_account,
    normalize_name,
    normalize_names,
)

# How a payer was identified, strongest first.
BY_NONE, BY_ACCOUNT, BY_NAME, BY_PREFIX, BY_FUZZY, BY_AMBIGUOUS = 0, 1, 2, 3, 4, 5
METHODS = ("none", "account", "name", "name_prefix", "name_fuzzy", "ambiguous")


def method_scores(config: MatchConfig) -> np.ndarray:
    """The strength of each identification method (by code), from ``config.method_score``."""
    return np.array([config.method_score.get(name, 0.0) for name in METHODS], np.float64)


def strong_method_codes(config: MatchConfig) -> np.ndarray:
    """The codes of the methods strong enough to apply cash without a quoted reference."""
    return np.array([METHODS.index(name) for name in config.strong_methods], np.int64)


_LEGAL_PREFIXES = frozenset(
    form[:k] for form in LEGAL_FORMS - TRANSLITERATED_LEGAL_FORMS for k in range(1, len(form))
)


def _words(name: str) -> list[str]:
    """The name's words, upper case, transliterated, legal forms kept, none abbreviated.

    Example:
        >>> _words("Nova Textiles S.A."), _words("ООО Ромашка")
        (['NOVA', 'TEXTILES', 'SA'], ['OOO', 'ROMASHKA'])
    """
    return normalize_name(name, abbreviate=False, keep_legal=True).split()


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
        # Column-wise (Arrow and numpy): Python runs only for the few
        # customers with a parent and the few names that are not ASCII, so
        # 83k customers and a million open items build in under 2 s instead
        # of 6-10 s. Customer ids are taken to be unique in the master
        # (build_index checks it).
        self.config = config
        self._method_score = method_scores(config)
        first_ids, first_names, alias_ids, alias_names = _names_on_invoices(open_items)
        if customers is not None:
            master = {
                column: customers[column].combine_chunks()
                for column in [
                    "customer_id",
                    "name",
                    "aliases",
                    "bank_accounts",
                    "parent_customer_id",
                ]
            }
            master_ids = master["customer_id"].cast(pa.string())
            has_parent = pc.fill_null(pc.not_equal(master["parent_customer_id"], ""), False)
            parent_ids = pc.filter(master["parent_customer_id"], has_parent).cast(pa.string())
        else:
            master, master_ids, parent_ids = (
                None,
                pa.array([], pa.string()),
                pa.array([], pa.string()),
            )
        # Every customer: of the invoices, of the master, or a parent named by one.
        every = pc.unique(pa.concat_arrays([first_ids, master_ids, parent_ids]))
        n = len(every)
        # The name: the master's unless empty, else the first on the invoices, else "".
        name = np.full(n, "", object)
        at = pc.index_in(first_ids, value_set=every).to_numpy()
        name[at] = pc.fill_null(first_names, "").to_numpy(zero_copy_only=False)
        parent_of: dict[str, str] = {}
        if master is not None and len(master_ids):
            at = pc.index_in(master_ids, value_set=every).to_numpy()
            master_names = master["name"]
            named = pc.and_(
                pc.is_valid(master_names), pc.not_equal(pc.fill_null(master_names, ""), "")
            )
            named = named.to_numpy(zero_copy_only=False)
            name[at[named]] = master_names.to_numpy(zero_copy_only=False)[named]
            parent_of = dict(
                zip(pc.filter(master_ids, has_parent).to_pylist(), parent_ids.to_pylist())
            )

        def root(cid: str) -> str:
            seen = {cid}
            while parent_of.get(cid) and parent_of[cid] not in seen:
                cid = parent_of[cid]
                seen.add(cid)
            return cid

        # Only customers with a parent walk up (a cycle ends where it closes).
        roots = every
        if parent_of:
            children = list(parent_of)
            at = pc.index_in(pa.array(children, pa.string()), value_set=every).to_numpy()
            root_values = np.asarray(every.to_numpy(zero_copy_only=False), object)
            root_values[at] = [root(cid) for cid in children]
            roots = pa.array(root_values, pa.string())
        # Families consecutive: by root, the root first, then by id (Arrow sorts
        # UTF-8 by bytes, which is code-point order, as Python does).
        order = pc.sort_indices(
            pa.table({"root": roots, "child": pc.not_equal(roots, every), "id": every}),
            sort_keys=[("root", "ascending"), ("child", "ascending"), ("id", "ascending")],
        ).to_numpy()
        self._id_array = every.take(pa.array(order))
        self.ids = self._id_array.to_pylist()
        self.code_of = dict(zip(self.ids, range(n)))
        code_at = np.empty(n, np.int64)
        code_at[order] = np.arange(n)
        self._code_by_position = np.arange(n, dtype=np.int64)
        self.family = code_at[pc.index_in(roots, value_set=every).to_numpy()][order]
        self.names = name[order].tolist()

        # Every (customer, text) a customer is known by, in the order of the
        # customer's name, then its other names on the invoices, then its
        # master aliases: the fuzzy search prefers the first-listed name among
        # equals.
        codes = [
            np.arange(n, dtype=np.int64),
            code_at[pc.index_in(alias_ids, value_set=every).to_numpy()],
        ]
        texts = [pa.array(self.names, pa.string()), alias_names]
        if master is not None and len(master_ids):
            aliases = master["aliases"]
            owner = pc.list_parent_indices(aliases).to_numpy()
            master_codes = code_at[pc.index_in(master_ids, value_set=every).to_numpy()]
            codes.append(master_codes[owner])
            texts.append(pc.list_flatten(aliases).cast(pa.string()))
        entry_code = np.concatenate(codes)
        entry_text = pa.concat_arrays(texts)
        # A name beyond ASCII is known by the other spellings banks print too.
        entry_code, entry_text = _with_spelling_variants(entry_code, entry_text)
        entry_order = np.argsort(entry_code, kind="stable")
        entry_code = entry_code[entry_order]
        entry_text = entry_text.take(pa.array(entry_order))
        keys = normalize_names(entry_text)
        plains = normalize_names(entry_text, abbreviate=False)
        kept = pc.not_equal(keys, "")
        keys, plains = pc.filter(keys, kept), pc.filter(plains, kept)
        entry_text = pc.filter(entry_text, kept)
        entry_code = entry_code[kept.to_numpy(zero_copy_only=False)]
        # Keys in the order first met (dictionary encoding keeps that order).
        encoded = pc.dictionary_encode(keys)
        self._fuzzy_names = FuzzyNames(encoded.dictionary.to_pylist())
        # Per key: its customer (-1: several families), and its one family (-1: several).
        key_of_entry = encoded.indices.to_numpy()
        self._key_code, self._key_family = _resolved(
            key_of_entry, entry_code, len(self._fuzzy_names), self.family
        )
        self._name_code = dict(zip(self._fuzzy_names.names, self._key_code.tolist()))
        self._other_keys(keys, entry_text, entry_code, key_of_entry)
        # Prefixes: the plain names, and the keys where they differ, sorted.
        differs = pc.not_equal(keys, plains).to_numpy(zero_copy_only=False)
        prefix = pa.table(
            {
                "key": pa.concat_arrays([plains, pc.filter(keys, pa.array(differs))]),
                "code": np.concatenate([entry_code, entry_code[differs]]),
            }
        )
        prefix = prefix.take(
            pc.sort_indices(prefix, sort_keys=[("key", "ascending"), ("code", "ascending")])
        )
        self._prefix_keys = prefix["key"].to_pylist()
        self._prefix_codes = prefix["code"].to_numpy()
        # Accounts, each with its customer (-1: shared by several families).
        if master is not None and len(master_ids):
            accounts = master["bank_accounts"]
            owner = pc.list_parent_indices(accounts).to_numpy()
            account_keys = _normalized_accounts(pc.list_flatten(accounts), config.few_accounts)
            account_codes = master_codes[owner]
        else:
            account_keys, account_codes = pa.array([], pa.string()), np.zeros(0, np.int64)
        kept = pc.not_equal(account_keys, "")
        encoded = pc.dictionary_encode(pc.filter(account_keys, kept))
        self._accounts = StringLookup(encoded.dictionary)
        self._account_code, _ = _resolved(
            encoded.indices.to_numpy(),
            account_codes[kept.to_numpy(zero_copy_only=False)],
            len(encoded.dictionary),
            self.family,
        )

    def _other_keys(
        self, keys: pa.Array, texts: pa.Array, codes: np.ndarray, key_of_entry: np.ndarray
    ) -> None:
        """The lookups beside the exact key: without spaces, as a skeleton, by legal form."""
        # "YAMADA SEISAKUSHO" and the kana reading's "YAMADASEISAKUSHIYO" differ in spaces.
        compact = pc.dictionary_encode(pc.replace_substring(keys, " ", ""))
        compact_code, _ = _resolved(
            compact.indices.to_numpy(), codes, len(compact.dictionary), self.family
        )
        self._compact_code = dict(zip(compact.dictionary.to_pylist(), compact_code.tolist()))
        # Names of another script, by skeleton: a bank's ASCII rendering by
        # another transliteration system meets them there.
        beyond = np.flatnonzero(~pc.string_is_ascii(texts).to_numpy(zero_copy_only=False))
        names = self._fuzzy_names.names
        groups: dict[str, set[int]] = {}
        for k in beyond.tolist():
            groups.setdefault(name_skeleton(names[key_of_entry[k]]), set()).add(int(codes[k]))
        self._foreign_skeleton = {
            sk: -1 if (code := self._resolve(found)) is None else code
            for sk, found in groups.items()
        }
        self._skeletons: dict[str, int] | None = None
        # Keys several customers share ("NOVA TEXTILES" of "... SA" and "... SARL"):
        # each one's legal forms, to tell them apart when the payer prints its form.
        shared = np.flatnonzero(self._key_code[key_of_entry] < 0)
        self._forms_of_key: dict[str, list[tuple[int, frozenset[str]]]] = {}
        for k in shared.tolist():
            forms = frozenset(w for w in _words(texts[k].as_py()) if w in LEGAL_FORMS)
            self._forms_of_key.setdefault(names[key_of_entry[k]], []).append((int(codes[k]), forms))

    def _all_skeletons(self) -> dict[str, int]:
        """Every known name by skeleton, built the first time a payer name in another script
        comes (a master in ASCII, the bank's text in the customer's script)."""
        if self._skeletons is None:
            groups: dict[str, set[int]] = {}
            for name, code in zip(self._fuzzy_names.names, self._key_code.tolist()):
                groups.setdefault(name_skeleton(name), set()).add(code)
            self._skeletons = {
                sk: -1 if -1 in found or (code := self._resolve(found)) is None else code
                for sk, found in groups.items()
            }
        return self._skeletons

    def _exact_name(self, raw: str, key: str) -> int | None:
        """The customer known by this name exactly, up to spelling and transliteration.

        The key, then the other spellings of a name beyond ASCII, then the same
        without spaces, then the skeleton (:func:`name_skeleton`). -1 when the
        name is several customers' and its legal form does not tell which.
        """
        keys = [key] + [
            k
            for k in dict.fromkeys(normalize_name(v) for v in name_variants(raw))
            if k and k != key
        ]
        for k in keys:
            code = self._name_code.get(k)
            if code is not None:
                return self._by_legal_form(k, raw) if code < 0 else code
        for k in keys:
            code = self._compact_code.get(k.replace(" ", ""))
            if code is not None:
                return code
        if len(key) < 5:
            return None
        skeleton = name_skeleton(key)
        code = self._foreign_skeleton.get(skeleton)
        if code is None and not raw.isascii():
            code = self._all_skeletons().get(skeleton)
        return code

    def _by_legal_form(self, key: str, raw: str) -> int:
        """Among the customers sharing ``key``, the one whose legal form the payer printed.

        A last word that begins another candidate's form ("SA" of "SARL") may
        be the bank's cut of it, so it tells nothing.
        """
        entries = self._forms_of_key.get(key)
        words = _words(raw)
        printed = [w for w in words if w in LEGAL_FORMS]
        if not entries or not printed:
            return -1
        form = printed[-1]
        matching = {code for code, forms in entries if form in forms}
        cut_of_another = words[-1] == form and any(
            f != form and f.startswith(form)
            for code, forms in entries
            if code not in matching
            for f in forms
        )
        code = self._resolve(matching) if matching and not cut_of_another else None
        return -1 if code is None else code

    def _longer_name_elsewhere(self, raw: str, code: int) -> bool:
        """Whether a name found once its last word went (a legal form, or one cut short)
        is also the start of another family's longer name: "NOVA TEXTILES SA" may be
        Nova Textiles SA, or "Nova Textiles Safety Systems" cut by the bank."""
        words = _words(raw)
        if not words or (words[-1] not in LEGAL_FORMS and words[-1] not in _LEGAL_PREFIXES):
            return False
        full = " ".join(words)
        if len(full) < self.config.name_prefix_min:
            return False
        family = self.family[code]
        return any(self.family[other] != family for other in self._by_prefix(full))

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
        """The customers known by a name that starts with key (a sorted list's range)."""
        lo = bisect.bisect_left(self._prefix_keys, key)
        hi = bisect.bisect_left(self._prefix_keys, key + "\U0010ffff", lo)
        return set(self._prefix_codes[lo:hi].tolist())

    def identify(self, payer_names: pa.Array, payer_accounts: pa.Array) -> Identification:
        """Identify the customer of each payment. Linear in payments, per distinct name."""
        n = len(payer_names)
        customer = np.full(n, -1, np.int64)
        method = np.zeros(n, np.int64)
        at = self._accounts.find(_normalized_accounts(payer_accounts, self.config.few_accounts))
        known = np.flatnonzero(at >= 0)
        customer[known] = self._account_code[at[known]]
        method[known] = np.where(customer[known] >= 0, BY_ACCOUNT, BY_AMBIGUOUS)

        todo = np.flatnonzero(method == BY_NONE)
        distinct = pc.dictionary_encode(
            pc.fill_null(payer_names.cast(pa.string()), "").take(pa.array(todo, pa.int64()))
        )
        unique_names = distinct.dictionary.to_pylist()
        inverse = distinct.indices.to_numpy(zero_copy_only=False)
        found_code = np.full(len(unique_names), -1, np.int64)
        found_method = np.zeros(len(unique_names), np.int64)
        fuzzy_rows, fuzzy_keys = [], []
        for u, raw in enumerate(unique_names):
            key = normalize_name(raw)
            if not key:
                continue
            cut = _without_cut_legal_form(key)
            code = self._exact_name(raw, key)
            if code is None and cut:
                code = self._name_code.get(cut)
            if code is not None and code >= 0 and self._longer_name_elsewhere(raw, code):
                code = -1
            if code is not None:
                found_code[u] = code
                found_method[u] = BY_AMBIGUOUS if code < 0 else BY_NAME
                continue
            full = " ".join(_words(raw))
            plain = _plain_name(raw)
            plain = _without_cut_legal_form(plain) or plain
            if len(plain) >= self.config.name_prefix_min:
                # The name as printed too: its last word may begin a longer name.
                codes = self._by_prefix(full) | self._by_prefix(plain) | self._by_prefix(cut or key)
                if codes:
                    code = self._resolve(codes)
                    found_code[u] = -1 if code is None else code
                    found_method[u] = BY_AMBIGUOUS if code is None else BY_PREFIX
                    continue
            if len(key) >= self.config.name_fuzzy_min_length:
                fuzzy_rows.append(u)
                fuzzy_keys.append(key)
        self._fuzzy(fuzzy_rows, fuzzy_keys, found_code, found_method)
        customer[todo] = found_code[inverse]
        method[todo] = found_method[inverse]
        family = np.full(n, -1, np.int64)
        known = customer >= 0
        family[known] = self.family[customer[known]]
        return Identification(customer, family, method, self._method_score[method])

    def _fuzzy(
        self, rows: list[int], keys: list[str], found_code: np.ndarray, found_method: np.ndarray
    ) -> None:
        """Identify by the most similar known name, if it beats other families' by the margin.

        Each name is compared only with the known names that can reach the
        margin under the cutoff (:class:`FuzzyNames`); the scores are those of a
        comparison with every known name.
        """
        if not rows or not len(self._fuzzy_names):
            return
        cutoff, margin = self.config.name_fuzzy_cutoff, self.config.name_fuzzy_margin
        for u, key in zip(rows, keys):
            scored, score = self._fuzzy_names.scores(key, int(cutoff - margin))
            if not len(scored):
                continue
            # Best first, the earlier name first among equals.
            top = np.argsort(-score.astype(np.int64), kind="stable")[
                : self.config.name_fuzzy_rivals
            ]
            ranked, ranked_score = scored[top].tolist(), score[top].tolist()
            if ranked_score[0] < cutoff:
                continue
            code = int(self._key_code[ranked[0]])
            if code < 0:
                found_method[u] = BY_AMBIGUOUS
                continue
            family = self.family[code]
            # The runner-up that matters is the best name of another family
            # (a name of several families is always another's).
            runner_up = next(
                (s for k, s in zip(ranked[1:], ranked_score[1:]) if self._key_family[k] != family),
                0,
            )
            if ranked_score[0] - runner_up < margin:
                found_method[u] = BY_AMBIGUOUS
                continue
            found_code[u], found_method[u] = code, BY_FUZZY


def _names_on_invoices(open_items: pa.Table) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """Each customer of the open items with its first name, and its other names.

    Returns:
        The customer ids (first met first) and each one's first non-null name
        (null when none), then the (customer id, name) pairs of the other
        distinct non-empty names, in the order first met.
    """
    ids = open_items["customer_id"].combine_chunks().cast(pa.string())
    names = open_items["customer_name"].combine_chunks().cast(pa.string())
    id_codes = pc.dictionary_encode(ids)
    row_id = id_codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    valid = pc.is_valid(names).to_numpy(zero_copy_only=False)
    valid_rows = np.flatnonzero(valid)
    first_row = np.full(len(id_codes.dictionary), len(names), np.int64)
    np.minimum.at(first_row, row_id[valid_rows], valid_rows)
    first_names = names.take(pa.array(first_row, mask=first_row == len(names)))
    # Most rows carry their customer's first name: only the others are deduplicated.
    other = pc.and_(
        pc.not_equal(names, first_names.take(pa.array(row_id))), pc.not_equal(names, "")
    )
    rows = np.flatnonzero(pc.fill_null(other, False).to_numpy(zero_copy_only=False))
    name_codes = pc.dictionary_encode(names.take(pa.array(rows, pa.int64())))
    pair_id = row_id[rows]
    pair = pair_id * max(len(name_codes.dictionary), 1) + name_codes.indices.to_numpy(
        zero_copy_only=False
    ).astype(np.int64)
    # The first row of each distinct (customer, name) pair, grouped by customer.
    _, first = np.unique(pair, return_index=True)
    first = np.sort(first)
    first = first[np.argsort(pair_id[first], kind="stable")]
    return (
        id_codes.dictionary,
        first_names,
        id_codes.dictionary.take(pa.array(pair_id[first])),
        names.take(pa.array(rows[first], pa.int64())),
    )


def _with_spelling_variants(codes: np.ndarray, texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """The (customer, name) entries plus, for names beyond ASCII, their other spellings.

    Example:
        >>> codes, texts = _with_spelling_variants(np.array([0, 1]), pa.array(["Acme", "Weiß"]))
        >>> codes.tolist(), texts.to_pylist()
        ([0, 1, 1], ['Acme', 'Weiß', 'Wei'])
    """
    texts = pc.fill_null(texts.cast(pa.string()), "")
    beyond = np.flatnonzero(~pc.string_is_ascii(texts).to_numpy(zero_copy_only=False))
    extra_codes, extra_texts = [], []
    for k in beyond.tolist():
        for variant in name_variants(texts[k].as_py()):
            extra_codes.append(codes[k])
            extra_texts.append(variant)
    if not extra_codes:
        return codes, texts
    return (
        np.concatenate([codes, np.array(extra_codes, codes.dtype)]),
        pa.concat_arrays([texts, pa.array(extra_texts, pa.string())]),
    )


def _resolved(
    key: np.ndarray, code: np.ndarray, n_keys: int, family: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per key, :meth:`CustomerIndex._resolve` of its codes (-1 for None), and its one family.

    Args:
        key, code: the (key, customer code) pairs, repeats allowed.
        n_keys: the number of keys; every key has a pair.
        family: the family code of each customer code.

    Returns:
        The customer (one code; the family's code when several of one family;
        -1 when several families) and the family (-1 when several) of each key.
    """
    big = np.iinfo(np.int64).max
    low_code, high_code = np.full(n_keys, big), np.full(n_keys, -1)
    np.minimum.at(low_code, key, code)
    np.maximum.at(high_code, key, code)
    fam = family[code] if len(code) else code
    low_family, high_family = np.full(n_keys, big), np.full(n_keys, -1)
    np.minimum.at(low_family, key, fam)
    np.maximum.at(high_family, key, fam)
    one_family = np.where(low_family == high_family, low_family, -1)
    return np.where(low_code == high_code, low_code, one_family), one_family


def _normalized_accounts(accounts: pa.Array, few: int) -> pa.Array:
    """:func:`normalize_account` of each value ("" for null), vectorised.

    Arrow's upper case maps one character to one; Python's can expand ("ß" to
    "SS"), so the few values that are not ASCII go through Python.
    """
    if len(accounts) <= few:
        # A payment or a few: Python per value beats four Arrow kernels.
        return pa.array([normalize_account(a) for a in accounts.to_pylist()], pa.string())
    accounts = pc.fill_null(accounts.cast(pa.string()), "")
    keys = pc.replace_substring_regex(pc.ascii_upper(accounts), r"[^A-Z0-9]+", "")
    ascii_only = pc.string_is_ascii(accounts).to_numpy(zero_copy_only=False)
    if ascii_only.all():
        return keys
    values = keys.to_pylist()
    for k in np.flatnonzero(~ascii_only):
        values[k] = normalize_account(accounts[int(k)].as_py())
    return pa.array(values, pa.string())
