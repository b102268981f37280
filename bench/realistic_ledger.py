"""The ledger of the realistic profile: how a real AR ledger is numbered and who is in it.

What differs from the classic ledger, and why:

- **Open items age as in a real ledger.** The chance that an invoice is still
  open falls with its age (most are paid within two months, a tail stays
  open for a year or more, disputed or forgotten), so issue dates follow that
  curve over two years, and the numbers of the open items have gaps where
  the paid ones were: the gap before an invoice is about one over the chance
  it is still open at its age, which keeps the issuing rate constant.
- **Several numbering series, most restarting every year**: INV-2024-000117,
  FA2400117, 2024-00117, branch series A-24-00117, and continuous ones
  (RE-5120, SAP-style 8800004471). A year-restarting series has 2024-00117 and
  2023-00117 both open when the older one is a year overdue.
- **Invoices come in runs**: a delivery split in several invoices issued the
  same day, numbered consecutively, often under one purchase order; so
  payers quote ranges ("5530-5533") and shorthand ("118/119/120").
- **Credit notes** (5% of open items, negative amounts): returns (a share of
  an invoice) and price adjustments (1-10%), numbered in their own series
  (CN-, AV, GS-, 89...) or in the invoice series, as ERPs do.
- **Purchase orders** for two customers in five, in the customer's own
  format (SAP 45..., PO-12345, 55-1020, 2024/311, 88123); one PO covers
  several invoices when a run shares it or an order is delivered over time.
- **Names**: 4% of customers in another script and 6% with letters outside
  ASCII (bench/realistic_names.py), pairs of customers told apart only by
  their legal form ("Nova Textiles SA" / "Nova Textiles SARL"), and names a
  bank's fixed width cuts to end in "SA" or "IN".
- **Texts in the payer's language** (German, French, Dutch, Spanish, Italian,
  English, from the country of the customer's bank account).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from bench.realistic_names import SCRIPTS, SpecialName, special_name

# Key, share of customers, restarts every year, invoice and credit-note format.
# A credit-note format of None numbers credit notes in the invoice series.
_SERIES = (
    ("inv", 0.30, True, "INV-{Y}-{s:06d}", "CN-{Y}-{s:05d}"),
    ("fa", 0.15, True, "FA{y}{s:05d}", "AV{y}{s:05d}"),
    ("year", 0.15, True, "{Y}-{s:05d}", None),
    ("re", 0.10, False, "RE-{s}", "GS-{s}"),
    ("sap", 0.15, False, "88{s:08d}", "89{s:08d}"),
    ("A", 0.05, True, "A-{y}-{s:05d}", "A-{y}-G{s:04d}"),
    ("B", 0.05, True, "B-{y}-{s:05d}", "B-{y}-G{s:04d}"),
    ("C", 0.05, True, "C-{y}-{s:05d}", "C-{y}-G{s:04d}"),
)
SERIES_RESETS = {key: resets for key, _, resets, _, _ in _SERIES}
# Where a continuous series stood two years ago.
_CONTINUOUS_START = {"re": 3000, "sap": 4000}
CREDIT_NOTE_SHARE = 0.05
SCRIPT_SHARE = 0.04
LATIN_SHARE = 0.06
TWIN_SHARE = 0.015
CUT_SHARE = 0.01
PO_CUSTOMER_SHARE = 0.4
# The widths at which banks cut a payer's name (ACH 16, BAI and camt fields,
# SWIFT's 35-character lines).
BANK_WIDTHS = (16, 18, 20, 22, 24, 27, 30, 35)
_TWIN_FORMS = (("SA", "SARL"), ("GmbH", "AG"), ("Ltd", "Inc"), ("BV", "NV"), ("SAS", "SA"))
_CUT_WORDS = (
    "Safety",
    "Sanitary",
    "Salvage",
    "Sands",
    "Industries",
    "Instruments",
    "Innovations",
    "Insulation",
    "Interiors",
)
_LANG_OF_COUNTRY = {
    "DE": "de",
    "FR": "fr",
    "BE": "fr",
    "NL": "nl",
    "GB": "en",
    "ES": "es",
    "IT": "it",
}
_SCRIPT_LANG = {"cyrillic": "ru", "greek": "en", "japanese": "en", "chinese": "en", "latin": "de"}
_PO_STYLES = ("sap", "po", "dash", "bdc", "plain", "ord")


def p_open(age: np.ndarray) -> np.ndarray:
    """The chance that an invoice of this age (days) is still open.

    Example:
        >>> [round(float(x), 3) for x in p_open(np.array([0, 60, 365]))]
        [0.98, 0.375, 0.014]
    """
    return 0.95 * np.exp(-age / 60.0) + 0.03 * np.exp(-age / 400.0)


def sample_ages(rng: np.random.Generator, n: int, max_age: int = 720) -> np.ndarray:
    """Ages (days, 1..max_age) of open items, distributed as :func:`p_open`."""
    fast = 0.95 * 60.0 * (1 - np.exp(-max_age / 60.0))
    slow = 0.03 * 400.0 * (1 - np.exp(-max_age / 400.0))
    scale = np.where(rng.random(n) < fast / (fast + slow), 60.0, 400.0)
    # Inverse CDF of an exponential truncated at max_age.
    u = rng.random(n)
    age = -scale * np.log(1 - u * (1 - np.exp(-max_age / scale)))
    return 1 + np.floor(age).astype(np.int64)


def render_number(series: str, year: int, seq: int, credit: bool = False) -> str:
    """The printed number of item ``seq`` of ``series`` issued in ``year``.

    Example:
        >>> render_number("inv", 2024, 117), render_number("A", 2025, 117, credit=True)
        ('INV-2024-000117', 'A-25-G0117')
    """
    for key, _, _, fmt, cn_fmt in _SERIES:
        if key == series:
            fmt = cn_fmt if credit and cn_fmt else fmt
            return fmt.format(Y=year, y=f"{year % 100:02d}", s=seq)
    raise KeyError(series)


class RealisticLedger:
    """Customers and open items of the realistic profile (a mixin over bench.generator._Gen)."""

    # -- customers --------------------------------------------------------------

    def customers(self) -> None:
        super().customers()
        rng, n = self.rng, self.n_customers
        self.special: dict[int, SpecialName] = {}
        self.twin_of: dict[int, int] = {}
        self.cut_name: dict[int, str] = {}
        self._special_keys: set[str] = set()
        order = [int(k) for k in rng.permutation(n)]
        taken = iter(order)
        for _ in range(int(round(SCRIPT_SHARE * n))):
            c = next(taken)
            self._make_special(c, str(rng.choice(SCRIPTS[:4], p=[0.4, 0.25, 0.2, 0.15])))
        for _ in range(int(round(LATIN_SHARE * n))):
            self._make_special(next(taken), "latin")
        for _ in range(int(round(TWIN_SHARE * n / 2))):
            a, b = next(taken), next(taken)
            base = self.customer_names[a].rsplit(" ", 1)[0]
            forms = _TWIN_FORMS[int(rng.integers(len(_TWIN_FORMS)))]
            self.customer_names[a], self.customer_names[b] = (f"{base} {f}" for f in forms)
            self.twin_of[a], self.twin_of[b] = b, a
        for _ in range(int(round(CUT_SHARE * n))):
            c = next(taken)
            made = self._cut_customer()
            if made:
                self.customer_names[c], self.cut_name[c], trap = made
                if rng.random() < 0.5:
                    # Another customer whose name is what is left once "SA" goes.
                    self.customer_names[next(taken)] = trap
        self.cust_lang = []
        for c in range(n):
            if c in self.special:
                lang = _SCRIPT_LANG[self.special[c].script]
            else:
                country = self.accounts[c][0][:2] if self.accounts[c] else "GB"
                lang = _LANG_OF_COUNTRY.get(country, "en")
            self.cust_lang.append(lang)
        self.po_style = [str(rng.choice(_PO_STYLES)) for _ in range(n)]
        self.uses_po = rng.random(n) < PO_CUSTOMER_SHARE
        weights = np.array([w for _, w, _, _, _ in _SERIES])
        self.cust_series = [
            str(s) for s in rng.choice([s[0] for s in _SERIES], size=n, p=weights / weights.sum())
        ]
        # Parents bill their subsidiaries from the same series.
        for k, p in enumerate(self.parent):
            if p is not None:
                self.cust_series[k] = self.cust_series[p]

    def _make_special(self, c: int, script: str) -> None:
        # Two customers of one name are another case (legal-form twins): draw again.
        for _ in range(30):
            name = special_name(self.rng, script)
            if name.key not in self._special_keys:
                break
        self._special_keys.add(name.key)
        self.special[c] = name
        self.customer_names[c] = name.master
        self.aliases[c] = list(name.aliases)

    def _cut_customer(self) -> tuple[str, str, str] | None:
        """A name that a bank width cuts to end in " SA" or " IN", and its trap twin."""
        from bench.generator import _FIRST, _LEGAL, _SECOND, _THIRD

        rng = self.rng
        for _ in range(200):
            words = [str(rng.choice(_FIRST)), str(rng.choice(_SECOND))]
            prefix = " ".join(words)
            width = len(prefix) + 3
            if width not in BANK_WIDTHS:
                continue
            word = str(rng.choice(_CUT_WORDS))
            full = f"{prefix} {word} {rng.choice(_THIRD)} {rng.choice(_LEGAL)}"
            return full, full[:width].upper(), f"{prefix} {rng.choice(_LEGAL)}"
        return None

    # -- open items -------------------------------------------------------------

    def invoices(self) -> None:
        rng, n = self.rng, self.n_invoices
        n_credit = int(round(CREDIT_NOTE_SHARE * n)) if n >= 100 else 0
        n_inv = n - n_credit
        # Issue events: one customer, one day, one to five consecutive invoices.
        m = n_inv
        ev_customer = rng.choice(self.n_customers, size=m, p=self.weight)
        ev_k = np.where(rng.random(m) < 0.8, 1, rng.integers(2, 6, m))
        ends = np.cumsum(ev_k)
        m = int(np.searchsorted(ends, n_inv) + 1)
        ev_k = ev_k[:m].copy()
        ev_k[-1] -= int(ends[m - 1] - n_inv)
        ev_customer = ev_customer[:m]
        ev_age = sample_ages(rng, m)
        customer = np.repeat(ev_customer, ev_k)
        age = np.repeat(ev_age, ev_k)
        event = np.repeat(np.arange(m), ev_k)
        # Credit notes: one item each, for customers by weight.
        cn_customer = rng.choice(self.n_customers, size=n_credit, p=self.weight)
        cn_age = sample_ages(rng, n_credit)
        self.inv_customer = np.concatenate([customer, cn_customer]).astype(np.int64)
        ages = np.concatenate([age, cn_age])
        self.inv_credit = np.zeros(n, bool)
        self.inv_credit[n_inv:] = True
        event = np.concatenate([event, m + np.arange(n_credit)])
        self.inv_issue = self.epoch_today - ages
        self.inv_due = self.inv_issue + rng.choice([14, 30, 45, 60], n)
        self._amounts(n_inv, n_credit)
        self._numbers(event, ages)
        self._purchase_orders(event, n_inv)
        self.inv_open = np.ones(n, bool)
        self.by_customer: dict[int, list[int]] = {}
        self.credits_of: dict[int, list[int]] = {}
        for i, c in enumerate(self.inv_customer):
            pool = self.credits_of if self.inv_credit[i] else self.by_customer
            pool.setdefault(int(c), []).append(i)
        self.runs = [
            list(range(s, s + int(k)))
            for s, k in zip(np.concatenate([[0], np.cumsum(ev_k)[:-1]]), ev_k)
            if k > 1
        ]
        self.remaining: dict[int, int] = {}

    def _amounts(self, n_inv: int, n_credit: int) -> None:
        from cashmatch.engine.money import currency_exponent

        rng, n = self.rng, n_inv + n_credit
        major = np.exp(rng.normal(np.log(1500), 1.1, n)).clip(20, 400000)
        round_ = rng.random(n) < 0.2
        major[round_] = np.round(major[round_], -2).clip(100)
        recurring_amount = np.exp(rng.normal(np.log(800), 0.6, self.n_customers))
        rec = self.recurring[self.inv_customer] & (rng.random(n) < 0.6)
        major[rec] = recurring_amount[self.inv_customer[rec]]
        # Credit notes: a return (part of an invoice) or a price adjustment.
        returns = rng.random(n_credit) < 0.6
        share = np.where(
            returns, rng.uniform(0.05, 1.0, n_credit), rng.uniform(0.01, 0.1, n_credit)
        )
        major[n_inv:] = np.maximum(major[n_inv:] * share, 5.0)
        self.inv_currency = self.customer_currency[self.inv_customer]
        exps = np.array([currency_exponent(c) for c in self.inv_currency])
        amount = np.round(major * 10.0**exps).astype(np.int64)
        amount[exps == 0] = np.maximum(amount[exps == 0] * 150, 1000)
        amount = np.maximum(amount, 1)
        amount[n_inv:] *= -1
        self.inv_amount = amount

    def _numbers(self, event: np.ndarray, ages: np.ndarray) -> None:
        """Number each series in issue order, with the gaps the paid invoices left."""
        rng, n = self.rng, self.n_invoices
        series = np.array([self.cust_series[c] for c in self.inv_customer], dtype=object)
        years = np.array(
            [(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).year for d in self.inv_issue]
        )
        own_cn_series = {key: cn is not None for key, _, _, _, cn in _SERIES}
        counter_key = [
            (s, bool(self.inv_credit[i]) and own_cn_series[s]) for i, s in enumerate(series)
        ]
        mean_gap = 1.0 / p_open(ages.astype(float))
        gaps = np.maximum(1, np.round(np.exp(rng.normal(np.log(mean_gap), 0.5)))).astype(np.int64)
        order = np.lexsort((np.arange(n), event, self.inv_issue))
        counters: dict[tuple, int] = {}
        self.inv_series = series.tolist()
        self.inv_year = years.tolist()
        self.inv_seq = [0] * n
        self.inv_number = [""] * n
        previous_event = -1
        for i in order:
            i = int(i)
            key = counter_key[i]
            resets = SERIES_RESETS[key[0]]
            ckey = (*key, int(years[i])) if resets else key
            start = 0 if resets else _CONTINUOUS_START.get(key[0], 0) * (2 if key[1] else 1)
            step = 1 if event[i] == previous_event else int(gaps[i])
            counters[ckey] = counters.get(ckey, start) + step
            previous_event = int(event[i])
            seq = counters[ckey]
            self.inv_seq[i] = seq
            self.inv_number[i] = render_number(key[0], int(years[i]), seq, bool(self.inv_credit[i]))
        # Numbers that two open items share (the same sequence in two years).
        self.same_seq: dict[tuple, list[int]] = {}
        for i in range(n):
            if SERIES_RESETS[series[i]] and not self.inv_credit[i]:
                self.same_seq.setdefault((series[i], self.inv_seq[i]), []).append(i)

    def _purchase_orders(self, event: np.ndarray, n_inv: int) -> None:
        rng = self.rng
        self.inv_po: list[str | None] = [None] * self.n_invoices
        self.po_items: dict[str, list[int]] = {}
        last_po: dict[int, str] = {}
        event_po: dict[int, str] = {}
        for i in range(n_inv):
            c = int(self.inv_customer[i])
            if not self.uses_po[c] or rng.random() < 0.1:
                continue
            ev = int(event[i])
            if ev in event_po and rng.random() < 0.7:
                po = event_po[ev]
            elif c in last_po and rng.random() < 0.15:
                po = last_po[c]  # a blanket order delivered over time
            else:
                po = self._po_number(c, int(self.inv_year[i]))
            event_po[ev] = last_po[c] = po
            self.inv_po[i] = po
            self.po_items.setdefault(po, []).append(i)

    def _po_number(self, c: int, year: int) -> str:
        rng, style = self.rng, self.po_style[c]
        if style == "sap":
            return f"45{rng.integers(0, 10**8):08d}"
        if style == "po":
            return f"PO-{rng.integers(10000, 99999)}"
        if style == "dash":
            return f"{rng.integers(10, 99)}-{rng.integers(1000, 9999)}"
        if style == "bdc":
            return f"{year}/{rng.integers(1, 999):03d}"
        if style == "plain":
            return f"{rng.integers(10000, 99999)}"
        return f"ORD{rng.integers(100000, 999999)}"

    # -- helpers for cases ------------------------------------------------------

    def take(self, items: list[int]) -> None:
        """Mark these open items as paid by the payment being made (out of every pool)."""
        for i in items:
            pool = (self.credits_of if self.inv_credit[i] else self.by_customer).get(
                int(self.inv_customer[i]), []
            )
            if i in pool:
                pool.remove(i)
            self.inv_open[i] = False

    def is_free(self, i: int) -> bool:
        """Still open and not yet paid by a generated payment."""
        return bool(self.inv_open[i])

    def open_amount(self, i: int) -> int:
        """What is open on item ``i`` now, after the batch's earlier payments."""
        return int(self.remaining.get(i, self.inv_amount[i]))

    def new_account(self) -> str:
        """An account no customer is known by (a new or a private account)."""
        return self._iban()

    def date_text(self, epoch_day: int, lang: str) -> str:
        day = dt.date(1970, 1, 1) + dt.timedelta(days=int(epoch_day))
        fmt = {"en": "%m/%d/%Y", "fr": "%d/%m/%Y", "es": "%d/%m/%Y", "it": "%d/%m/%Y"}.get(
            lang, "%d.%m.%Y"
        )
        return day.strftime(fmt)
