"""Realistic synthetic AR data with the true matches: customers, open items, payments.

Seeded and reproducible at any size. Payments mix the cases AR teams meet,
in proportions close to what they report: most quote one invoice, a tail is
hard (noisy references, several invoices, no reference, short and
over-payments, a parent paying for its subsidiary, duplicates, and money that
belongs to no open invoice). Payer names are printed the way banks print
them: upper case, abbreviated, cut short, legal form dropped.

Example:
    >>> data = generate(seed=1, n_invoices=2000)
    >>> data.open_items.num_rows, data.payments.num_rows > 100
    (2000, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cashmatch.engine.money import currency_exponent
from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS, PAYMENTS

CASES = {
    "single_exact_ref": 0.42,
    "single_noisy_ref": 0.14,
    "multi_invoice": 0.10,
    "no_reference": 0.10,
    "fee_shortpay": 0.04,
    "discount": 0.03,
    "partial": 0.03,
    "overpay": 0.02,
    "parent_pays": 0.03,
    "duplicate": 0.02,
    "unmatchable": 0.07,
}

_FIRST = [
    "Acme",
    "Northwind",
    "Blue",
    "River",
    "Alpine",
    "Summit",
    "Pioneer",
    "Harbor",
    "Granite",
    "Silver",
    "Oak",
    "Maple",
    "Falcon",
    "Atlas",
    "Orion",
    "Vertex",
    "Crescent",
    "Redwood",
    "Cobalt",
    "Evergreen",
    "Sterling",
    "Meridian",
    "Apex",
    "Horizon",
    "Liberty",
    "Beacon",
    "Keystone",
    "Riverside",
    "Lakeside",
    "Highland",
    "Coastal",
    "Golden",
    "Iron",
    "Nova",
    "Polaris",
    "Zenith",
    "Aurora",
    "Cedar",
    "Willow",
    "Emerald",
    "Sapphire",
    "Titan",
    "Vanguard",
    "Unity",
    "Prime",
    "Delta",
    "Sierra",
    "Boreal",
    "Lumen",
    "Quantum",
    "Stellar",
    "Bright",
    "Clear",
    "Swift",
]
_SECOND = [
    "Precision",
    "Industrial",
    "Logistics",
    "Foods",
    "Medical",
    "Software",
    "Chemicals",
    "Packaging",
    "Textiles",
    "Electronics",
    "Construction",
    "Consulting",
    "Automotive",
    "Energy",
    "Pharma",
    "Retail",
    "Marine",
    "Aerospace",
    "Furniture",
    "Printing",
    "Plastics",
    "Metals",
    "Paper",
    "Agri",
    "Dental",
    "Optical",
    "Security",
    "Media",
    "Travel",
    "Beverage",
    "Hardware",
    "Lighting",
    "Water",
    "Solar",
    "Rail",
]
_THIRD = [
    "Supplies",
    "Systems",
    "Technologies",
    "Services",
    "Solutions",
    "International",
    "Manufacturing",
    "Distribution",
    "Holdings",
    "Group",
    "Brothers",
    "Partners",
    "Associates",
    "Trading",
    "Works",
    "Labs",
    "Enterprises",
    "Products",
    "Company",
]
PROFILES = ("classic", "realistic")

_LEGAL = ("GmbH", "SA", "SAS", "Ltd", "Inc", "LLC", "BV", "AG", "SARL", "S.p.A.", "Oy", "plc")
_BANK_ABBR = {
    "International": "INTL",
    "Manufacturing": "MFG",
    "Technologies": "TECH",
    "Services": "SVCS",
    "Distribution": "DIST",
    "Industrial": "IND",
    "Company": "CO",
    "Brothers": "BROS",
    "Associates": "ASSOC",
    "Enterprises": "ENT",
    "Holdings": "HLDGS",
    "Systems": "SYS",
    "Solutions": "SOL",
    "Products": "PROD",
}
_CURRENCIES = (("EUR", 0.8), ("USD", 0.1), ("GBP", 0.05), ("CHF", 0.03), ("JPY", 0.02))
_FEES_MAJOR = (5, 7.5, 10, 12.5, 15, 20, 25)
_DISCOUNT_BP = (200, 300, 100)


@dataclass
class Dataset:
    """A generated ledger and batch with the answers.

    Attributes:
        customers: CUSTOMERS table.
        open_items: OPEN_ITEMS table.
        payments: PAYMENTS table.
        truth: one row per true application: payment_id, invoice_id, amount_applied_minor
            (payments that pay nothing have no row).
        cases: payment_id and the case each payment was generated as.
        as_of: the batch's date.
    """

    customers: pa.Table
    open_items: pa.Table
    payments: pa.Table
    truth: pa.Table
    cases: pa.Table
    as_of: dt.date


class _Gen:
    # The share of payments of each case (bench/realistic_cases.py has another mix).
    case_mix = CASES

    def __init__(self, seed: int, n_invoices: int, n_payments: int, as_of: dt.date):
        self.rng = np.random.default_rng(seed)
        self.n_invoices, self.n_payments, self.as_of = n_invoices, n_payments, as_of
        self.epoch_today = (as_of - dt.date(1970, 1, 1)).days

    # -- master data ------------------------------------------------------------

    def customers(self) -> None:
        rng = self.rng
        n = max(8, self.n_invoices // 12)
        self.n_customers = n
        names, seen = [], set()
        while len(names) < n:
            words = [rng.choice(_FIRST), rng.choice(_SECOND), rng.choice(_THIRD)]
            if rng.random() < 0.3:
                words = words[:2] if rng.random() < 0.5 else [words[0], words[2]]
            if rng.random() < 0.05:
                words = [f"{rng.choice(_FIRST)} & {rng.choice(_FIRST)}", words[-1]]
            if len(seen) > 0.6 * len(_FIRST) * len(_SECOND) and rng.random() < 0.5:
                words.append(str(rng.integers(2, 99)))
            base = " ".join(words)
            if base in seen:
                continue
            seen.add(base)
            names.append(f"{base} {rng.choice(_LEGAL)}")
        self.customer_ids = [f"C{k + 1:06d}" for k in range(n)]
        self.customer_names = names
        self.accounts = [
            [self._iban() for _ in range(rng.integers(1, 3))] if rng.random() < 0.85 else []
            for _ in range(n)
        ]
        self.aliases = [
            [f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"] if rng.random() < 0.12 else []
            for _ in range(n)
        ]
        currencies, weights = zip(*_CURRENCIES)
        self.customer_currency = rng.choice(currencies, size=n, p=weights)
        # Subsidiaries pay through, and are paid for by, a parent among the big customers.
        self.parent = [None] * n
        big = max(1, n // 20)
        for k in range(big, n):
            if rng.random() < 0.08:
                parent = int(rng.integers(0, big))
                self.parent[k] = parent
                self.customer_currency[k] = self.customer_currency[parent]
        self.weight = 1.0 / np.arange(1, n + 1) ** 0.8
        rng.shuffle(self.weight)
        self.weight /= self.weight.sum()
        self.recurring = rng.random(n) < 0.2

    def _iban(self) -> str:
        country = self.rng.choice(["DE", "FR", "NL", "GB", "ES", "IT", "BE"])
        digits = "".join(map(str, self.rng.integers(0, 10, 20)))
        return f"{country}{digits[:2]} {digits[2:6]} {digits[6:10]} {digits[10:14]} {digits[14:]}"

    def invoices(self) -> None:
        rng, n = self.rng, self.n_invoices
        self.inv_customer = rng.choice(self.n_customers, size=n, p=self.weight)
        self.inv_issue = self.epoch_today - rng.integers(1, 180, n)
        self.inv_due = self.inv_issue + rng.choice([30, 45, 60], n)
        amounts_major = np.exp(rng.normal(np.log(1500), 1.1, n)).clip(20, 400000)
        round_ = rng.random(n) < 0.2
        amounts_major[round_] = np.round(amounts_major[round_], -2).clip(100)
        recurring_amount = np.exp(rng.normal(np.log(800), 0.6, self.n_customers))
        rec = self.recurring[self.inv_customer] & (rng.random(n) < 0.6)
        amounts_major[rec] = recurring_amount[self.inv_customer[rec]]
        currency = self.customer_currency[self.inv_customer]
        self.inv_currency = currency
        exps = np.array([currency_exponent(c) for c in currency])
        self.inv_amount = np.round(amounts_major * 10.0**exps).astype(np.int64)
        self.inv_amount[exps == 0] = np.maximum(self.inv_amount[exps == 0] * 150, 1000)
        self.inv_amount = np.maximum(self.inv_amount, 1)
        # Two numbering series, sequential: a typo in one number often spells another.
        series_b = rng.random(n) < 0.3
        self.inv_number = [
            f"FA24{k:05d}" if b else f"INV-2024-{k:06d}" for k, b in zip(range(1, n + 1), series_b)
        ]
        self.inv_po = [
            (
                f"4500{rng.integers(0, 10**6):06d}"
                if rng.random() < 0.5
                else f"PO-{rng.integers(0, 10**5):05d}"
            )
            if rng.random() < 0.4
            else None
            for _ in range(n)
        ]
        self.inv_open = np.ones(n, bool)
        self.by_customer: dict[int, list[int]] = {}
        for i, c in enumerate(self.inv_customer):
            self.by_customer.setdefault(int(c), []).append(i)

    # -- payments ---------------------------------------------------------------

    def bank_name(self, customer: int) -> str:
        rng = self.rng
        if self.aliases[customer] and rng.random() < 0.3:
            name = self.aliases[customer][0]
        else:
            name = self.customer_names[customer]
            if rng.random() < 0.7:
                name = name.rsplit(" ", 1)[0]
        words = name.split()
        if rng.random() < 0.3:
            words = [_BANK_ABBR.get(w, w) for w in words]
        name = " ".join(words).upper().replace("&", "AND" if rng.random() < 0.5 else "&")
        if rng.random() < 0.2:
            name = name.replace("Ü", "UE").replace("Ö", "OE")
        return name[: int(rng.integers(18, 36))].strip()

    def payer(self, customer: int) -> tuple[str, str | None]:
        rng = self.rng
        accounts = self.accounts[customer]
        account = accounts[0] if accounts and rng.random() < 0.8 else self._iban()
        return self.bank_name(customer), account

    def noisy(self, number: str) -> tuple[str, str]:
        rng = self.rng
        kind = rng.choice(["separator", "prefix", "zeros", "ocr", "typo", "spaces", "lower"])
        if kind == "separator":
            return number.replace("-", rng.choice(["", "/", ".", " "])), kind
        if kind == "prefix":
            return number.split("-", 1)[-1] if "-" in number else number[2:], kind
        if kind == "zeros":
            head, _, tail = number.rpartition("-")
            return (
                f"{head}-{tail.lstrip('0')}" if head else number[:4] + number[4:].lstrip("0")
            ), kind
        if kind == "ocr":
            digits = [k for k, ch in enumerate(number) if ch in "015"]
            inner = [
                k
                for k in digits
                if 0 < k < len(number) - 1 and number[k - 1].isdigit() and number[k + 1].isdigit()
            ]
            if not inner:
                return number.replace("-", ""), "separator"
            k = int(rng.choice(inner))
            return number[:k] + {"0": "O", "1": "I", "5": "S"}[number[k]] + number[k + 1 :], kind
        if kind == "typo":
            chars = list(number)
            positions = [k for k, ch in enumerate(chars) if ch.isdigit()]
            k = int(rng.choice(positions[-6:]))
            op = rng.choice(["sub", "swap", "drop"])
            if op == "sub":
                chars[k] = str((int(chars[k]) + int(rng.integers(1, 10))) % 10)
            elif (
                op == "swap"
                and k + 1 < len(chars)
                and chars[k + 1].isdigit()
                and chars[k] != chars[k + 1]
            ):
                chars[k], chars[k + 1] = chars[k + 1], chars[k]
            else:
                del chars[k]
            return "".join(chars), kind
        if kind == "spaces":
            return number.replace("-", " "), kind
        return number.lower(), kind

    def text(self, refs: list[str], customer: int | None) -> str:
        rng = self.rng
        joined = (", " if rng.random() < 0.6 else " ").join(refs)
        template = rng.choice(
            [
                "{r}",
                "{r}",
                "PAYMENT {r}",
                "Invoice {r}",
                "INV {r} THANK YOU",
                "Facture {r}",
                "Rechnung {r}",
                "{r} / PO {po}",
                "Ref {r} Kd-Nr {cust}",
                "{r} {date}",
                "SETTLEMENT OF {r}",
                "/INV/{r}",
                "{cust} {r}",
            ]
        )
        po = f"4500{rng.integers(0, 10**6):06d}"
        cust = (
            f"{rng.integers(10000, 99999)}" if customer is None else self.customer_ids[customer][1:]
        )
        date = (self.as_of - dt.timedelta(days=int(rng.integers(0, 60)))).strftime(
            rng.choice(["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%y"])
        )
        return template.format(r=joined, po=po, cust=cust, date=date)

    def pick_open(self, customer: int | None = None, k: int = 1) -> list[int]:
        """Take k open invoices of a customer (a random one by weight if None), uniformly."""
        rng = self.rng
        for _ in range(50):
            c = int(rng.choice(self.n_customers, p=self.weight)) if customer is None else customer
            pool = self.by_customer.get(c, [])
            if len(pool) >= k:
                chosen = []
                for _ in range(k):
                    # Swap the pick with the last open one and pop: O(1) per invoice.
                    j = int(rng.integers(0, len(pool)))
                    pool[j], pool[-1] = pool[-1], pool[j]
                    chosen.append(pool.pop())
                for i in chosen:
                    self.inv_open[i] = False
                return chosen
            if customer is not None:
                return []
        return []

    def value_date(self, invoices: list[int]) -> int:
        issue = int(max(self.inv_issue[i] for i in invoices))
        due = int(max(self.inv_due[i] for i in invoices))
        return int(min(self.epoch_today, self.rng.integers(issue + 3, max(issue + 4, due + 30))))

    def payments(self) -> None:
        rng = self.rng
        names, probs = zip(*self.case_mix.items())
        cases = rng.choice(names, size=self.n_payments, p=np.array(probs) / sum(probs))
        self.rows, self.truth, self.case_rows = [], [], []
        for case in cases:
            getattr(self, f"_case_{case}")()
        self.rows.sort(key=lambda r: r["payment_id"])

    def _emit(self, case, amount, currency, date, name, account, text, truth, note=""):
        pid = f"P{len(self.case_rows) + 1:07d}"
        self.rows.append(
            {
                "payment_id": pid,
                "amount_minor": int(amount),
                "currency": currency,
                "value_date": dt.date(1970, 1, 1) + dt.timedelta(days=int(date)),
                "payer_name": name,
                "payer_account": account,
                "reference_text": text,
                "source_format": "generated",
            }
        )
        for invoice, applied in truth:
            self.truth.append((pid, invoice, int(applied)))
        self.case_rows.append((pid, case + (f":{note}" if note else "")))

    def _single(self, case, refs_mode="exact", customer=None):
        chosen = self.pick_open(customer)
        if not chosen:
            return None
        i = chosen[0]
        c = int(self.inv_customer[i])
        return i, c

    def _case_single_exact_ref(self):
        got = self._single("single_exact_ref")
        if got:
            i, c = got
            name, account = self.payer(c)
            amt = self.inv_amount[i]
            self._emit(
                "single_exact_ref",
                amt,
                self.inv_currency[i],
                self.value_date([i]),
                name,
                account,
                self.text([self.inv_number[i]], c),
                [(i, amt)],
            )

    def _case_single_noisy_ref(self):
        got = self._single("single_noisy_ref")
        if got:
            i, c = got
            name, account = self.payer(c)
            ref, kind = self.noisy(self.inv_number[i])
            amt = self.inv_amount[i]
            self._emit(
                "single_noisy_ref",
                amt,
                self.inv_currency[i],
                self.value_date([i]),
                name,
                account,
                self.text([ref], c),
                [(i, amt)],
                kind,
            )

    def _case_multi_invoice(self):
        rng = self.rng
        k = int(rng.integers(2, 6)) if rng.random() < 0.9 else int(rng.integers(6, 51))
        c = None
        for _ in range(20):
            cand = int(rng.choice(self.n_customers, p=self.weight))
            if len(self.by_customer.get(cand, [])) >= k:
                c = cand
                break
        if c is None:
            return
        chosen = self.pick_open(c, k)
        mode = rng.choice(["all", "some", "none"], p=[0.5, 0.25, 0.25])
        if mode == "all":
            refs = [self.inv_number[i] for i in chosen]
        elif mode == "some":
            refs = [self.inv_number[i] for i in chosen[: max(1, k // 2)]]
        else:
            refs = []
        name, account = self.payer(c)
        total = int(sum(self.inv_amount[i] for i in chosen))
        text = self.text(refs, c) if refs else rng.choice(["PAYMENT", "SUPPLIER PAYMENT", ""])
        self._emit(
            "multi_invoice",
            total,
            self.inv_currency[chosen[0]],
            self.value_date(chosen),
            name,
            account,
            text,
            [(i, self.inv_amount[i]) for i in chosen],
            f"{mode}_{'small' if k <= 5 else 'large'}",
        )

    def _case_no_reference(self):
        got = self._single("no_reference")
        if got:
            i, c = got
            name, account = self.payer(c)
            text = self.rng.choice(["", "PAYMENT", "TRANSFER", "SEPA CREDIT TRANSFER", "OCTOBER"])
            amt = self.inv_amount[i]
            self._emit(
                "no_reference",
                amt,
                self.inv_currency[i],
                self.value_date([i]),
                name,
                account,
                text,
                [(i, amt)],
            )

    def _short(self, case):
        got = self._single(case)
        if not got:
            return
        i, c = got
        name, account = self.payer(c)
        amt = int(self.inv_amount[i])
        exp = currency_exponent(self.inv_currency[i])
        date = self.value_date([i])
        if case == "fee_shortpay":
            fee = int(round(float(self.rng.choice(_FEES_MAJOR)) * 10**exp))
            if fee * 20 > amt:
                fee = max(1, amt // 50)
            pay = amt - fee
        elif case == "discount":
            bp = int(self.rng.choice(_DISCOUNT_BP))
            pay = amt - (amt * bp + 5000) // 10000
            date = int(min(self.epoch_today, self.inv_issue[i] + self.rng.integers(2, 11)))
        else:
            pay = int(amt * self.rng.uniform(0.3, 0.7))
        self._emit(
            case,
            pay,
            self.inv_currency[i],
            date,
            name,
            account,
            self.text([self.inv_number[i]], c),
            [(i, pay)],
        )

    def _case_fee_shortpay(self):
        self._short("fee_shortpay")

    def _case_discount(self):
        self._short("discount")

    def _case_partial(self):
        self._short("partial")

    def _case_overpay(self):
        got = self._single("overpay")
        if got:
            i, c = got
            name, account = self.payer(c)
            amt = int(self.inv_amount[i])
            extra = max(1, int(amt * self.rng.uniform(0.001, 0.05)))
            self._emit(
                "overpay",
                amt + extra,
                self.inv_currency[i],
                self.value_date([i]),
                name,
                account,
                self.text([self.inv_number[i]], c),
                [(i, amt)],
            )

    def _case_parent_pays(self):
        children = [k for k, p in enumerate(self.parent) if p is not None]
        if not children:
            return self._case_single_exact_ref()
        c = int(self.rng.choice(children))
        chosen = self.pick_open(c)
        if not chosen:
            return
        i = chosen[0]
        name, account = self.payer(self.parent[c])
        amt = self.inv_amount[i]
        with_ref = self.rng.random() < 0.7
        text = self.text([self.inv_number[i]], None) if with_ref else "PAYMENT"
        self._emit(
            "parent_pays",
            amt,
            self.inv_currency[i],
            self.value_date([i]),
            name,
            account,
            text,
            [(i, amt)],
            "ref" if with_ref else "noref",
        )

    def _case_duplicate(self):
        got = self._single("duplicate")
        if got:
            i, c = got
            name, account = self.payer(c)
            amt = self.inv_amount[i]
            date = self.value_date([i])
            text = self.text([self.inv_number[i]], c)
            self._emit(
                "duplicate",
                amt,
                self.inv_currency[i],
                date,
                name,
                account,
                text,
                [(i, amt)],
                "first",
            )
            later = min(self.epoch_today, date + int(self.rng.integers(0, 5)))
            self._emit(
                "duplicate", amt, self.inv_currency[i], later, name, account, text, [], "second"
            )

    def _case_unmatchable(self):
        rng = self.rng
        kind = rng.choice(["unknown_payer", "prepayment", "closed_invoice"])
        currency = str(rng.choice([c for c, _ in _CURRENCIES], p=[w for _, w in _CURRENCIES]))
        exp = currency_exponent(currency)
        amount = int(np.exp(rng.normal(np.log(900), 1.0)) * 10**exp)
        date = self.epoch_today - int(rng.integers(0, 10))
        if kind == "unknown_payer":
            name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_THIRD)}".upper()[:30]
            text = rng.choice(["REFUND", "DEPOSIT", "", f"ORDER {rng.integers(10**5, 10**6)}"])
            account = self._iban()
        else:
            c = int(rng.choice(self.n_customers, p=self.weight))
            name, account = self.payer(c)
            if kind == "prepayment":
                text = f"PREPAYMENT ORDER {rng.integers(10**5, 10**6)}"
            else:
                # An invoice number beyond any issued one: already paid, or another company's.
                text = f"INV-2023-{rng.integers(0, 10**6):06d}"
        self._emit("unmatchable", amount, currency, date, name, account, text, [], kind)

    # -- tables -----------------------------------------------------------------

    def tables(self) -> Dataset:
        epoch = dt.date(1970, 1, 1)
        n = self.n_invoices
        invoice_ids = [f"I{k + 1:08d}" for k in range(n)]
        open_items = pa.table(
            {
                "invoice_id": invoice_ids,
                "invoice_number": self.inv_number,
                "customer_id": [self.customer_ids[c] for c in self.inv_customer],
                "customer_name": [self.customer_names[c] for c in self.inv_customer],
                "currency": self.inv_currency.tolist(),
                "amount_open_minor": self.inv_amount,
                "issue_date": [epoch + dt.timedelta(days=int(d)) for d in self.inv_issue],
                "due_date": [epoch + dt.timedelta(days=int(d)) for d in self.inv_due],
                "po_number": self.inv_po,
                "amount_original_minor": pa.nulls(n, pa.int64()),
            },
            schema=OPEN_ITEMS,
        )
        customers = pa.table(
            {
                "customer_id": self.customer_ids,
                "name": self.customer_names,
                "aliases": self.aliases,
                "bank_accounts": self.accounts,
                "parent_customer_id": [
                    None if p is None else self.customer_ids[p] for p in self.parent
                ],
            },
            schema=CUSTOMERS,
        )
        payments = pa.Table.from_pylist(self.rows, schema=PAYMENTS)
        truth = pa.table(
            {
                "payment_id": [t[0] for t in self.truth],
                "invoice_id": [invoice_ids[t[1]] for t in self.truth],
                "amount_applied_minor": pa.array([t[2] for t in self.truth], pa.int64()),
            }
        )
        cases = pa.table(
            {"payment_id": [c[0] for c in self.case_rows], "case": [c[1] for c in self.case_rows]}
        )
        return Dataset(customers, open_items, payments, truth, cases, self.as_of)


def generate(
    seed: int,
    n_invoices: int,
    n_payments: int | None = None,
    as_of: dt.date = dt.date(2024, 6, 30),
    profile: str = "classic",
) -> Dataset:
    """Generate a ledger of ``n_invoices`` open invoices and a batch of payments against it.

    Args:
        seed: the random seed; the same seed gives the same data.
        n_invoices: open invoices in the ledger.
        n_payments: payments in the batch (default: a tenth of the invoices).
        as_of: the batch date; invoices were issued in the 180 days before
            (up to two years before in the realistic profile).
        profile: ``"classic"``, the cases above in :data:`CASES` (what the
            benchmark and every existing seed were made with, byte for byte),
            or ``"realistic"``: a ledger numbered, aged and named like a real
            one, and the classic cases plus what real payers do (credit
            notes, PO numbers, ranges, year-reset numbers, names in other
            scripts, instalments...; see bench/realistic_cases.py). Its truth
            table has a ``residual_action`` column too.

    Example:
        >>> data = generate(seed=1, n_invoices=2000, profile="realistic")
        >>> "credit_note" in {c.split(":")[0] for c in data.cases["case"].to_pylist()}
        True
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    if profile == "realistic":
        from bench.realistic_cases import RealisticGen

        maker = RealisticGen
    else:
        maker = _Gen
    gen = maker(seed, n_invoices, n_payments or max(10, n_invoices // 10), as_of)
    gen.customers()
    gen.invoices()
    gen.payments()
    return gen.tables()
