"""The customer index's fast paths give exactly the results of the plain ones.

``ReferenceIndex`` is the index in plain Python (loops and sets, every payer
name compared with every known name), with the same rules: the index must
identify every payment the same way, on generated masters full of families,
shared names, aliases, names in other scripts and spellings, legal-form
twins, and cut or misspelt payer names.
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import (
    _LEGAL_PREFIXES,
    BY_ACCOUNT,
    BY_AMBIGUOUS,
    BY_FUZZY,
    BY_NAME,
    BY_NONE,
    BY_PREFIX,
    CustomerIndex,
    Identification,
    _normalized_accounts,
    _plain_name,
    _without_cut_legal_form,
    _words,
    method_scores,
)
from cashmatch.engine.hashing import StringLookup
from cashmatch.engine.name_blocking import FuzzyNames
from cashmatch.engine.normalize import (
    ABBREVIATIONS,
    LEGAL_FORMS,
    name_skeleton,
    name_variants,
    normalize_account,
    normalize_name,
    normalize_names,
)
from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS


class ReferenceIndex:
    """The customer index in plain Python: the reference its vectorised build is checked with."""

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
        self._by_compact: dict[str, set[int]] = {}
        self._by_foreign_skeleton: dict[str, set[int]] = {}
        self._entries: dict[str, list[tuple[int, str]]] = {}
        self._by_account: dict[str, set[int]] = {}
        plain_names: list[tuple[str, int]] = []
        for cid in ordered:
            code = self.code_of[cid]
            known = [names[cid], *aliases.get(cid, [])]
            for text in known + [v for t in known for v in name_variants(t or "")]:
                key = normalize_name(text)
                if key:
                    self._by_name.setdefault(key, set()).add(code)
                    self._by_compact.setdefault(key.replace(" ", ""), set()).add(code)
                    self._entries.setdefault(key, []).append((code, text))
                    if not text.isascii():
                        skeleton = name_skeleton(key)
                        self._by_foreign_skeleton.setdefault(skeleton, set()).add(code)
                    plain_names.append((_plain_name(text), code))
                    if key != plain_names[-1][0]:
                        plain_names.append((key, code))
            for account in accounts.get(cid, []):
                key = normalize_account(account)
                if key:
                    self._by_account.setdefault(key, set()).add(code)
        self._by_skeleton: dict[str, set[int]] = {}
        for key, codes in self._by_name.items():
            self._by_skeleton.setdefault(name_skeleton(key), set()).update(codes)
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

    def _code(self, codes: set[int] | None) -> int | None:
        """None for no customer, -1 for several families, else the customer."""
        if codes is None:
            return None
        code = self._resolve(codes)
        return -1 if code is None else code

    def _exact(self, raw: str, key: str) -> int | None:
        keys = [key] + [
            k
            for k in dict.fromkeys(normalize_name(v) for v in name_variants(raw))
            if k and k != key
        ]
        for k in keys:
            if k in self._by_name:
                code = self._code(self._by_name[k])
                return self._legal_form(k, raw) if code < 0 else code
        for k in keys:
            if k.replace(" ", "") in self._by_compact:
                return self._code(self._by_compact[k.replace(" ", "")])
        if len(key) < 5:
            return None
        code = self._code(self._by_foreign_skeleton.get(name_skeleton(key)))
        if code is None and not raw.isascii():
            code = self._code(self._by_skeleton.get(name_skeleton(key)))
        return code

    def _legal_form(self, key: str, raw: str) -> int:
        words = _words(raw)
        printed = [w for w in words if w in LEGAL_FORMS]
        if not printed:
            return -1
        entries = [(c, {w for w in _words(t) if w in LEGAL_FORMS}) for c, t in self._entries[key]]
        matching = {c for c, forms in entries if printed[-1] in forms}
        if words[-1] == printed[-1]:
            for c, forms in entries:
                if c not in matching and any(
                    f != printed[-1] and f.startswith(printed[-1]) for f in forms
                ):
                    return -1
        code = self._resolve(matching) if matching else None
        return -1 if code is None else code

    def _longer_elsewhere(self, raw: str, code: int) -> bool:
        words = _words(raw)
        if not words or (words[-1] not in LEGAL_FORMS and words[-1] not in _LEGAL_PREFIXES):
            return False
        full = " ".join(words)
        if len(full) < self.config.name_prefix_min:
            return False
        return any(self.family[o] != self.family[code] for o in self._by_prefix(full))

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
            code = self._exact(raw, key)
            if code is None and cut:
                code = self._code(self._by_name.get(cut))
            if code is not None and code >= 0 and self._longer_elsewhere(raw, code):
                code = -1
            if code is not None:
                found_code[u] = code
                found_method[u] = BY_AMBIGUOUS if code < 0 else BY_NAME
                continue
            plain = _plain_name(raw)
            plain = _without_cut_legal_form(plain) or plain
            if len(plain) >= self.config.name_prefix_min:
                full = " ".join(_words(raw))
                codes = self._by_prefix(full) | self._by_prefix(plain) | self._by_prefix(cut or key)
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
        return Identification(customer, family, method, method_scores(self.config)[method])

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


WORDS = [
    "Acme",
    "Blue",
    "River",
    "North",
    "Wind",
    "Solar",
    "Trading",
    "Foods",
    "Granite",
    "Logistics",
    "Precision",
    "Tools",
    "Delta",
    "Maple",
    "Nova",
    "Apex",
    "Medical",
    "Labs",
    "Media",
    "Rail",
    "International",
    "Services",
    "Solutions",
    "Company",
    "Systems",
    "Holdings",
    "Group",
    "And",
    "The",
    "&",
    "Et",
    "Brothers",
    "Müller",
    "Söhne",
    "Café",
    "Ørsted",
    "42",
    "7",
    "O'Neil",
    "Weiß",
    "Химпром",
    "Ζυθοποιία",
    "ヤマダ",
    "上海",
    "Safety",
    "Instruments",
]
LEGAL = [
    "GmbH", "Ltd", "Ltd.", "S.A.", "SA", "Inc.", "Co.", "BV", "plc", "S.p.A.", "SARL", "LLC", "AG",
    "ООО", "Α.Ε.", "有限公司",
]  # fmt: skip


def _name(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(1, 4))
    if rng.random() < 0.6:
        words.append(rng.choice(LEGAL))
    if rng.random() < 0.05:
        words = rng.choices(LEGAL, k=rng.randint(1, 2))
    name = " ".join(words)
    return name.upper() if rng.random() < 0.2 else name


def _misspelt(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        if not chars:
            break
        k = rng.randrange(len(chars))
        if rng.random() < 0.5:
            del chars[k]
        else:
            chars.insert(k, rng.choice("AEIOURST "))
    return "".join(chars)


def _ledger(seed: int, n_customers: int) -> tuple[pa.Table, pa.Table, list, list]:
    """Open items, a master, and payer names and accounts, all drawn from seed."""
    rng = random.Random(seed)
    ids = [f"C{k:03d}" for k in range(n_customers)]
    names = {cid: _name(rng) for cid in ids}
    # Some customers share a name or a near one (other families, or a subsidiary's).
    for cid in rng.sample(ids, n_customers // 4):
        other = names[rng.choice(ids)]
        r = rng.random()
        if r < 0.4:
            names[cid] = other
        elif r < 0.6:  # a twin told apart by its legal form
            names[cid] = other.rsplit(" ", 1)[0] + " " + rng.choice(LEGAL)
        else:
            names[cid] = other + " " + rng.choice(["Benelux", "UK", "2"])
    master_ids = [cid for cid in ids if rng.random() < 0.85]
    parents = {}
    for cid in master_ids:
        r = rng.random()
        if r < 0.25:
            parents[cid] = rng.choice(ids)
        elif r < 0.28:
            parents[cid] = "P" + cid  # a parent the master does not hold
        elif r < 0.30:
            parents[cid] = ""
    if len(master_ids) > 2 and rng.random() < 0.3:  # a cycle
        a, b = master_ids[:2]
        parents[a], parents[b] = b, a
    accounts = [f"DE{k:04d} {rng.randint(0, 9999):04d}" for k in range(n_customers // 2 + 1)]
    master = []
    for cid in master_ids:
        master.append(
            {
                "customer_id": cid,
                "name": names[cid] if rng.random() < 0.9 else "",
                "aliases": rng.choice([None, [], [_name(rng)], [_name(rng), None, ""]]),
                "bank_accounts": rng.choice(
                    [None, [], [rng.choice(accounts)], [rng.choice(accounts), rng.choice(accounts)]]
                ),
                "parent_customer_id": parents.get(cid),
            }
        )
    items = []
    invoice_customers = [cid for cid in ids if cid not in master_ids or rng.random() < 0.9] or ids
    for k in range(rng.randint(1, 4 * n_customers)):
        cid = rng.choice(invoice_customers)
        r = rng.random()
        name = names[cid] if r < 0.7 else _name(rng) if r < 0.85 else None if r < 0.95 else ""
        items.append(
            {
                "invoice_id": f"I{k}",
                "invoice_number": f"INV-{k}",
                "customer_id": cid,
                "customer_name": name,
                "currency": "EUR",
                "amount_open_minor": 100 + k,
                "issue_date": None,
                "due_date": None,
            }
        )
    known = [n for n in names.values()] + [a for row in master for a in row["aliases"] or [] if a]
    payer_names, payer_accounts = [], []
    for _ in range(6 * n_customers):
        text = rng.choice(known)
        r = rng.random()
        if r < 0.2:
            text = text.upper()[: rng.randint(12, 35)]
        elif r < 0.4:
            text = _misspelt(rng, normalize_name(text))
        elif r < 0.46:
            text = normalize_name(text) + " " + rng.choice(["L", "LT", "GM", "S"])
        elif r < 0.52:
            # As a bank prints it: transliterated by another system, or with its form.
            text = rng.choice(
                [text.upper(), name_skeleton(normalize_name(text)), " ".join(_words(text))]
            )
        elif r < 0.55:
            text = _name(rng)
        elif r < 0.6:
            text = rng.choice([None, "", "&", "Ltd"])
        payer_names.append(text)
        r = rng.random()
        account = rng.choice(accounts) if r < 0.3 else None if r < 0.8 else "XX00 0000"
        if account and rng.random() < 0.3:
            account = account.lower().replace(" ", "-")
        payer_accounts.append(account)
    return (
        pa.Table.from_pylist(items, schema=OPEN_ITEMS),
        pa.Table.from_pylist(master, schema=CUSTOMERS),
        payer_names,
        payer_accounts,
    )


CONFIGS = [MatchConfig(), MatchConfig(name_fuzzy_cutoff=80.0, name_fuzzy_margin=2.0)]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_customers=st.integers(1, 120),
    with_master=st.booleans(),
    config=st.sampled_from(CONFIGS),
)
@example(seed=0, n_customers=1, with_master=False, config=CONFIGS[0])
def test_index_identifies_as_the_reference_does(seed, n_customers, with_master, config):
    items, master, payer_names, payer_accounts = _ledger(seed, n_customers)
    master = master if with_master else None
    fast = CustomerIndex(master, items, config)
    slow = ReferenceIndex(master, items, config)
    assert fast.ids == slow.ids
    assert fast.code_of == slow.code_of
    assert fast.names == slow.names
    assert fast.family.tolist() == slow.family.tolist()
    invoiced = items["customer_id"].to_pylist()
    assert fast.codes(items["customer_id"]).tolist() == [slow.code_of[c] for c in invoiced]
    names, accounts = pa.array(payer_names, pa.string()), pa.array(payer_accounts, pa.string())
    got, want = fast.identify(names, accounts), slow.identify(names, accounts)
    for field in ("customer", "family", "method", "score"):
        assert getattr(got, field).tolist() == getattr(want, field).tolist(), field
    # One payment at a time, as the latency path calls it.
    for k in range(0, len(payer_names), 7):
        one = fast.identify(names.slice(k, 1), accounts.slice(k, 1))
        assert one.customer[0] == want.customer[k] and one.method[0] == want.method[k]


def test_reference_ledgers_reach_every_method():
    """The generated ledgers exercise every way of identifying (else the comparison is weak)."""
    methods = set()
    for seed in range(6):
        items, master, payer_names, payer_accounts = _ledger(seed, 80)
        for config in CONFIGS:
            ident = ReferenceIndex(master, items, config).identify(
                pa.array(payer_names, pa.string()), pa.array(payer_accounts, pa.string())
            )
            methods |= set(ident.method.tolist())
    assert methods >= {BY_NONE, BY_ACCOUNT, BY_NAME, BY_PREFIX, BY_FUZZY, BY_AMBIGUOUS}


TEXT = st.lists(
    st.one_of(
        st.sampled_from(WORDS + LEGAL + list(ABBREVIATIONS) + sorted(LEGAL_FORMS)),
        st.text(alphabet="aZ09 &.,-'éßÆ\u00a0\tﬁ", max_size=6),
    ),
    max_size=6,
).map(lambda words: " ".join(words))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT, st.text(max_size=12)), max_size=20))
@example(
    ["", None, "&", "Ltd", "LTD GMBH", "The And", "Company", "a  b", "ß", "Müller & Söhne GmbH"]
)
def test_normalize_names_is_normalize_name(values):
    array = pa.array(values, pa.string())
    for abbreviate in (True, False):
        want = [normalize_name(v, abbreviate) for v in values]
        assert normalize_names(array, abbreviate).to_pylist() == want


def _full_scan(query: str, names: list[str], cutoff: int) -> tuple[list[int], list[int]]:
    row = process.cdist([query], names, scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=cutoff)[0]
    scored = np.flatnonzero(row)
    return scored.tolist(), row[scored].tolist()


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cutoff=st.sampled_from([50, 70, 80, 84, 86, 90, 100]),
    n=st.integers(0, 300),
)
def test_blocked_scores_are_the_full_scan(seed, cutoff, n):
    rng = random.Random(seed)
    bases = [normalize_name(_name(rng)) for _ in range(max(n // 6, 1))]
    names = [
        rng.choice(bases) if rng.random() < 0.3 else _misspelt(rng, rng.choice(bases))
        for _ in range(n)
    ]
    names += ["", "ÆØ ŒX"]
    fuzzy = FuzzyNames(names)
    for _ in range(12):
        query = _misspelt(rng, rng.choice(bases)) if rng.random() < 0.8 else rng.choice(bases)
        got = fuzzy.scores(query, cutoff)
        assert (got[0].tolist(), got[1].tolist()) == _full_scan(query, names, cutoff)


def test_blocked_scores_at_the_length_and_count_bounds():
    """Names whose ratio with the query is just at, over and under the cutoff."""
    query = "ABCDEFGHIJKLMNOPQRSTUVWXY"
    names = []
    for k in range(0, 12):
        names.append(query[: len(query) - k])  # shorter: only the length differs
        names.append(query + "Z" * k)  # longer
        names.append(query[k:] + "0123456789AB"[:k])  # as long, other characters
        names.append("".join(reversed(query))[: len(query) - k])  # same characters, other order
        names.append(query[: -k or None].replace("A", "B"))
    fuzzy = FuzzyNames(names)
    for cutoff in range(60, 101):
        got = fuzzy.scores(query, cutoff)
        assert (got[0].tolist(), got[1].tolist()) == _full_scan(query, names, cutoff)
    # ratio("A" * 21, "A" * 25) = 100 * 42 / 46 = 91.3: kept at 91, not at 92.
    fuzzy = FuzzyNames(["A" * 21, "A" * 25])
    assert fuzzy.candidates("A" * 25, 91).tolist() == [0, 1]
    assert fuzzy.candidates("A" * 25, 92).tolist() == [1]


def test_fuzzy_ties_prefer_the_first_known_name_and_families_count_once():
    """Equal scores: the earlier name wins; a runner-up of the same family is no rival."""
    rows = [
        ("I1", "N1", "C1", "Delta Solar Trading GmbH", "EUR", 100, None, None),
        ("I2", "N2", "C2", "Delta Solar Tradinx GmbH", "EUR", 100, None, None),
        ("I3", "N3", "C3", "Delta Solar Tradinq Ltd", "EUR", 100, None, None),
    ]
    items = pa.Table.from_pylist(
        [dict(zip(OPEN_ITEMS.names, row)) for row in rows], schema=OPEN_ITEMS
    )
    for parents in ({}, {"C2": "C1"}, {"C2": "C1", "C3": "C1"}):
        master = pa.Table.from_pylist(
            [
                {"customer_id": cid, "name": name, "parent_customer_id": parents.get(cid)}
                for cid, name in [("C1", rows[0][3]), ("C2", rows[1][3]), ("C3", rows[2][3])]
            ],
            schema=CUSTOMERS,
        )
        payers = pa.array(["DELTA SOLAR TRADINZ", "DELTA SOLR TRADING"], pa.string())
        accounts = pa.array([None, None], pa.string())
        for config in CONFIGS:
            got = CustomerIndex(master, items, config).identify(payers, accounts)
            want = ReferenceIndex(master, items, config).identify(payers, accounts)
            assert got.customer.tolist() == want.customer.tolist()
            assert got.method.tolist() == want.method.tolist()


def _candidates_naive(fuzzy: FuzzyNames, query: str, cutoff: int) -> list[int]:
    """The blocking bounds of name_blocking's docstring, one name at a time."""
    from collections import Counter

    def column(ch):
        if "A" <= ch <= "Z":
            return ch
        return ch if "0" <= ch <= "9" or ch == " " else "other"

    kept = []
    q = Counter(column(ch) for ch in query)
    for k, name in enumerate(fuzzy.names):
        n = len(query) + len(name)
        c = Counter(column(ch) for ch in name)
        exact = sum(abs(q[x] - c[x]) for x in set(q) | set(c))
        if 200 * (n - exact) >= (2 * cutoff - 1) * n:
            kept.append(k)
    return kept


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cutoff=st.sampled_from([50, 80, 84, 90, 100]))
def test_blocking_keeps_exactly_the_names_within_the_histogram_bound(seed, cutoff):
    rng = random.Random(seed)
    bases = [normalize_name(_name(rng)) for _ in range(8)]
    names = [_misspelt(rng, rng.choice(bases)) for _ in range(60)] + ["", "ÆØ ŒX", "A1 2B"]
    fuzzy = FuzzyNames(names)
    for query in [_misspelt(rng, rng.choice(bases)) for _ in range(6)] + ["", "ÆØ"]:
        assert fuzzy.candidates(query, cutoff).tolist() == _candidates_naive(fuzzy, query, cutoff)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=12))
def test_normalized_accounts_are_normalize_account_few_or_many(values):
    want = [normalize_account(v) for v in values]
    # One by one in Python, and by Arrow kernels.
    for few in (len(values), 0):
        assert _normalized_accounts(pa.array(values, pa.string()), few).to_pylist() == want
