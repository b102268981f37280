"""The payments of the realistic profile: the classic cases plus what real payers do.

Each payment carries its true application (invoice, amount, and what the AR
team does with what is left on the invoice) and its kind, ``kind:variant``,
so quality is reported per kind. The new kinds, and their share of payments:

- credit_note (6%): nets an open credit note against invoices, quoted
  ("RE 5120 + RE 5121 ./. GS 77"), not quoted, with no text, or in
  structured remittance (a negative line, as camt's CdtNoteAmt).
- po_reference (5%): quotes only its purchase order, which may cover
  several invoices (paid together, or one of them).
- ref_shorthand (4%): a run of invoices as a range, shorthand or glued
  ("5530-5533", "5530 bis 5533", "R2024118/19/20", "RE8812RE8813").
- year_reset (3%): a year-restarting number by its sequence ("117/24",
  "N° 117 du 03/01/2024", "Rechnung 117 vom 03.01.2024", "117").
- garbled_ref (3%): a number cut, digits swapped, an OCR letter at a digit
  group's edge ("B-Z4-00117"), alone or among several quoted invoices.
- busy_text (4%): the invoice among customer, order, mandate, tax and
  end-to-end numbers, dates, amounts and IBANs.
- name_script (2.5%): no reference, an account nobody knows, the name in
  another script or spelling than the master's.
- legal_form (1%): a payer told apart only by its legal form, or a name a
  bank cut to end in "SA"/"IN"; with or without a reference.
- third_party (1.5%): a sister company or another customer pays an invoice,
  quoting it, the exact amount.
- instalment (2.5%): one invoice in two to four payments, all in this batch
  or the earlier ones already booked (the last closes it).
- weak_partial (1%): a part payment quoting the invoice, from a payer known
  only by a fuzzy name.
- amount_only (2%): no reference, a known account, one invoice of exactly
  the amount while two or three others of the customer add up to it too.
- bank_charge (1.5%): a small invoice short by a typical bank charge above
  5% of the payment.
- fx_charges (1%): a foreign-currency invoice short by one or two
  correspondent banks' charges.

Why these shares: AR teams report that about a third of payments are not
one exact invoice paid in full; credit-note deductions are among the most
frequent of those in B2B (returns and price adjustments), then payments
quoting only a PO, and lists of invoices. The classic cases keep their
relative weights and make up the remaining 75%.
"""

from __future__ import annotations

import re

import pyarrow as pa

from bench.generator import Dataset, _Gen
from bench.realistic_ledger import SERIES_RESETS, RealisticLedger
from bench.realistic_payers import NO_TEXT, PayerCases
from bench.realistic_text import (
    CREDIT_TEMPLATES,
    DATED_TEMPLATES,
    PO_TEMPLATES,
    RANGE_WORDS,
    RealisticTexts,
)

REALISTIC_CASES = {
    "single_exact_ref": 0.25,
    "single_noisy_ref": 0.07,
    "multi_invoice": 0.07,
    "no_reference": 0.06,
    "fee_shortpay": 0.025,
    "discount": 0.025,
    "partial": 0.02,
    "overpay": 0.015,
    "parent_pays": 0.02,
    "duplicate": 0.015,
    "unmatchable": 0.05,
    "credit_note": 0.06,
    "po_reference": 0.05,
    "ref_shorthand": 0.04,
    "year_reset": 0.03,
    "garbled_ref": 0.03,
    "busy_text": 0.04,
    "name_script": 0.025,
    "legal_form": 0.01,
    "third_party": 0.015,
    "instalment": 0.025,
    "weak_partial": 0.01,
    "amount_only": 0.02,
    "bank_charge": 0.015,
    "fx_charges": 0.01,
}
_FEE_CASES = ("fee_shortpay", "bank_charge", "fx_charges")
_OCR_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}


class RealisticGen(PayerCases, RealisticTexts, RealisticLedger, _Gen):
    """The realistic profile: its ledger, its texts and its cases."""

    case_mix = REALISTIC_CASES

    def payments(self) -> None:
        self.truth_actions: list[str] = []
        self.po_list = list(self.po_items)
        self.reset_pairs = [v for v in self.same_seq.values() if len(v) >= 2]
        self.children: dict[int, list[int]] = {}
        for k, p in enumerate(self.parent):
            if p is not None:
                self.children.setdefault(p, []).append(k)
        self.ledger_numbers = set(self.inv_number)
        super().payments()

    def _emit(
        self,
        case,
        amount,
        currency,
        date,
        name,
        account,
        text,
        truth,
        note="",
        actions=None,
        remittance=None,
    ):
        super()._emit(case, amount, currency, date, name, account, text, truth, note)
        self.rows[-1]["remittance"] = remittance
        for k, (invoice, applied) in enumerate(truth):
            open_now = self.open_amount(invoice)
            if actions:
                action = actions[k]
            elif int(applied) == open_now:
                action = "none"
            elif case in _FEE_CASES:
                action = "write_off_bank_fee"
            elif case == "discount":
                action = "write_off_discount"
            else:
                action = "leave_open"
            self.truth_actions.append(action)
            self.remaining[invoice] = open_now - int(applied)

    def tables(self) -> Dataset:
        data = super().tables()
        data.truth = data.truth.append_column(
            "residual_action", pa.array(self.truth_actions, pa.string())
        )
        return data

    # -- helpers ------------------------------------------------------------------

    def _customer_with(self, pool: dict, least: int = 1, tries: int = 40) -> int | None:
        rng = self.rng
        for _ in range(tries):
            c = int(rng.choice(self.n_customers, p=self.weight))
            if len(pool.get(c, [])) >= least:
                return c
        return None

    def _unique_amount_invoice(self, c: int) -> int | None:
        """A free invoice of ``c`` whose amount no other open item of ``c`` has."""
        pool = self.by_customer.get(c, [])
        if not pool:
            return None
        counts: dict[int, int] = {}
        for i in self._items_of(c):
            counts[int(self.inv_amount[i])] = counts.get(int(self.inv_amount[i]), 0) + 1
        unique = [i for i in pool if counts[int(self.inv_amount[i])] == 1]
        if not unique:
            return None
        i = int(self.rng.choice(unique))
        self.take([i])
        return i

    def _items_of(self, c: int) -> list[int]:
        if not hasattr(self, "_items_by_customer"):
            self._items_by_customer: dict[int, list[int]] = {}
            for i, cc in enumerate(self.inv_customer):
                self._items_by_customer.setdefault(int(cc), []).append(i)
        return self._items_by_customer.get(c, [])

    def _exact(self, case, items, payer, note, text=None, account=None, name=None, **kw):
        """Emit a payment of these items in full, from ``payer``'s bank."""
        c = int(self.inv_customer[items[0]])
        bank_name, bank_account = self.payer(payer)
        total = sum(int(self.inv_amount[i]) for i in items)
        if text is None:
            text = self.text([self.quoted(i) for i in items], c)
        self._emit(
            case,
            total,
            self.inv_currency[items[0]],
            self.value_date([i for i in items if not self.inv_credit[i]] or items),
            name or bank_name,
            account or bank_account,
            text,
            [(i, int(self.inv_amount[i])) for i in items],
            note,
            **kw,
        )

    # -- credit notes ---------------------------------------------------------------

    def _case_credit_note(self):
        rng = self.rng
        c = self._customer_with(self.credits_of)
        if c is None or not self.by_customer.get(c):
            return self._case_single_exact_ref()
        cn = int(rng.choice(self.credits_of[c]))
        credit = -int(self.inv_amount[cn])
        k = 1 if rng.random() < 0.6 else int(rng.integers(2, 4))
        pool = self.by_customer[c]
        larger = [i for i in pool if self.inv_amount[i] > credit]
        if not larger:
            return self._case_single_exact_ref()
        first = int(rng.choice(larger))
        others = [i for i in pool if i != first]
        extra = [int(i) for i in rng.choice(others, size=min(k - 1, len(others)), replace=False)]
        invoices = [first, *extra]
        self.take([*invoices, cn])
        mode = str(
            rng.choice(["quoted", "unquoted", "none", "remittance"], p=[0.45, 0.3, 0.1, 0.15])
        )
        lang, remittance = self.lang(c), None
        numbers = [self.quoted(i) for i in invoices]
        if mode == "quoted":
            template = str(rng.choice(CREDIT_TEMPLATES.get(lang) or CREDIT_TEMPLATES["en"]))
            credit_ref = self.inv_number[cn] if rng.random() < 0.6 else self.short_number(cn)
            text = template.format(
                i=str(rng.choice([" + ", ", ", " "])).join(numbers), c=credit_ref
            )
        elif mode == "unquoted":
            text = self.text(numbers, c)
        elif mode == "none":
            text = str(rng.choice(NO_TEXT))
        else:
            remittance = [
                {
                    "invoice_ref": self.inv_number[i],
                    "amount_paid_minor": int(self.inv_amount[i]),
                    "invoice_amount_minor": int(self.inv_amount[i]),
                }
                for i in invoices
            ] + [{"invoice_ref": self.inv_number[cn], "amount_paid_minor": -credit}]
            text = str(rng.choice(["", "SEE REMITTANCE ADVICE", "AVIS DE PAIEMENT"]))
        self._exact("credit_note", [*invoices, cn], c, mode, text=text, remittance=remittance)

    # -- what payers quote ----------------------------------------------------------

    def _case_po_reference(self):
        rng = self.rng
        for _ in range(40):
            if not self.po_list:
                break
            po = self.po_list[int(rng.integers(len(self.po_list)))]
            free = [i for i in self.po_items[po] if self.is_free(i)]
            if free:
                break
        else:
            return self._case_single_exact_ref()
        if not self.po_list or not free:
            return self._case_single_exact_ref()
        if len(free) == 1:
            mode, items = "single", free
        elif rng.random() < 0.7:
            mode, items = "several", free
        else:
            mode, items = "one_of_several", [int(rng.choice(free))]
        self.take(items)
        c = int(self.inv_customer[items[0]])
        template = str(rng.choice(PO_TEMPLATES.get(self.lang(c)) or PO_TEMPLATES["en"]))
        self._exact("po_reference", items, c, mode, text=template.format(p=po))

    def _case_ref_shorthand(self):
        rng = self.rng
        stretch: list[int] = []
        for _ in range(60):
            if not self.runs:
                break
            run = self.runs[int(rng.integers(len(self.runs)))]
            free = [i for i in run if self.is_free(i)]
            # The longest stretch of consecutive numbers among the free ones.
            best, cur = [], []
            for i in free:
                cur = cur + [i] if cur and self.inv_seq[i] == self.inv_seq[cur[-1]] + 1 else [i]
                best = cur if len(cur) > len(best) else best
            if len(best) >= 2:
                stretch = best
                break
        if not stretch:
            return self._case_multi_invoice()
        self.take(stretch)
        form = str(
            rng.choice(
                ["slash_suffix", "glued_suffix", "range", "glued", "comma_suffix", "spaced_list"],
                p=[0.2, 0.15, 0.25, 0.1, 0.15, 0.15],
            )
        )
        numbers = [self.inv_number[i] for i in stretch]
        c = int(self.inv_customer[stretch[0]])
        core = self._shorthand(form, numbers, stretch, self.lang(c))
        self._exact("ref_shorthand", stretch, c, form, text=self.text([core], c))

    def _shorthand(self, form: str, numbers: list[str], items: list[int], lang: str) -> str:
        rng, first = self.rng, numbers[0]
        width = int(rng.choice([2, 3]))

        def tail(number: str) -> str:
            digits = re.search(r"[0-9]+$", number).group(0)
            return digits[-width:]

        if form == "slash_suffix":
            return "/".join([first] + [tail(n) for n in numbers[1:]])
        if form == "glued_suffix":
            return "/".join([re.sub(r"[^0-9A-Za-z]", "", first)] + [n[-2:] for n in numbers[1:]])
        if form == "range":
            word = str(rng.choice(RANGE_WORDS.get(lang) or RANGE_WORDS["en"]))
            u = rng.random()
            if u < 0.5:
                return f"{self.inv_seq[items[0]]}{word}{self.inv_seq[items[-1]]}"
            if u < 0.8:
                return f"{first}{word}{numbers[-1]}"
            return f"{first}{word}{tail(numbers[-1])}"
        if form == "glued":
            return "".join(re.sub(r"[^0-9A-Za-z]", "", n) for n in numbers)
        if form == "comma_suffix":
            return ", ".join([first] + [n[-2:] for n in numbers[1:]])
        spaced = re.sub(r"(^|[^0-9])0+([0-9])", r"\1\2", first.replace("-", " "))
        if spaced == first:
            spaced = first[:2] + " " + first[2:]
        return "/".join([spaced, *numbers[1:]])

    def _case_year_reset(self):
        rng = self.rng
        target = None
        for _ in range(40):
            if not self.reset_pairs:
                break
            items = self.reset_pairs[int(rng.integers(len(self.reset_pairs)))]
            free = [i for i in items if self.is_free(i)]
            if free:
                newest = max(free, key=lambda i: self.inv_issue[i])
                target = newest if rng.random() < 0.7 else int(rng.choice(free))
                break
        if target is None:
            c = self._customer_with(self.by_customer)
            pool = [i for i in self.by_customer.get(c, []) if SERIES_RESETS[self.inv_series[i]]]
            if not pool:
                return self._case_single_exact_ref()
            target = int(rng.choice(pool))
        self.take([target])
        c = int(self.inv_customer[target])
        lang, seq, year = self.lang(c), self.inv_seq[target], self.inv_year[target]
        form = str(rng.choice(["seq_year", "seq_date", "seq_only"], p=[0.4, 0.3, 0.3]))
        if form == "seq_year":
            core = str(
                rng.choice(
                    [
                        f"{seq}/{year}",
                        f"{seq}/{year % 100:02d}",
                        f"{year % 100:02d}-{seq}",
                        f"{year}/{seq}",
                    ]
                )
            )
            text = self.text([core], c)
        elif form == "seq_date":
            template = str(rng.choice(DATED_TEMPLATES.get(lang) or DATED_TEMPLATES["en"]))
            text = template.format(n=seq, d=self.date_text(self.inv_issue[target], lang))
        else:
            text = self.text([str(seq)], c)
        self._exact("year_reset", [target], c, form, text=text)

    def _case_garbled_ref(self):
        rng = self.rng
        mode = str(rng.choice(["prefix_cut", "swap", "ocr_edge", "multi"]))
        if mode == "multi":
            k = int(rng.integers(2, 6))
            c = self._customer_with(self.by_customer, least=k)
            if c is None:
                return self._case_single_noisy_ref()
            items = self.pick_open(c, k)
            refs = [self.inv_number[i] for i in items]
            for j in rng.choice(len(refs), size=1 if k < 4 else 2, replace=False):
                refs[j] = self._garble(
                    refs[j], str(rng.choice(["swap", "ocr_edge", "drop", "sub"]))
                )
            self._exact("garbled_ref", items, c, mode, text=self.text(refs, c))
            return
        items = self.pick_open()
        if not items:
            return
        c = int(self.inv_customer[items[0]])
        text = self.text([self._garble(self.inv_number[items[0]], mode)], c)
        self._exact("garbled_ref", items, c, mode, text=text)

    def _garble(self, number: str, mode: str) -> str:
        rng = self.rng
        groups = [(m.start(), m.end()) for m in re.finditer(r"[0-9]+", number)]
        if mode == "prefix_cut":
            digits = re.sub(r"[^0-9]", "", number)
            cut = digits[int(rng.integers(1, 4)) :].lstrip("0")
            return cut if len(cut) >= 4 else digits
        start, end = groups[-1]
        chars = list(number)
        if mode == "swap":
            spots = [k for k in range(start, end - 1) if chars[k] != chars[k + 1]]
            if spots:
                k = int(rng.choice(spots))
                chars[k], chars[k + 1] = chars[k + 1], chars[k]
        elif mode == "ocr_edge":
            spots = [
                k for s, e in groups if e - s >= 2 for k in (s, e - 1) if chars[k] in _OCR_LETTER
            ]
            inner = [k for s, e in groups for k in range(s + 1, e - 1) if chars[k] in "01"]
            pick = spots if spots and (rng.random() < 0.7 or not inner) else inner
            if pick:
                k = int(rng.choice(pick))
                chars[k] = _OCR_LETTER[chars[k]]
        elif mode == "drop" and end - start > 1:
            del chars[int(rng.integers(start, end))]
        else:
            k = int(rng.integers(start, end))
            chars[k] = str((int(chars[k]) + int(rng.integers(1, 10))) % 10)
        return "".join(chars)

    def _case_busy_text(self):
        rng = self.rng
        k = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        c = self._customer_with(self.by_customer, least=k)
        if c is None:
            return
        items = self.pick_open(c, k)
        core = self.text([self.quoted(i) for i in items], c)
        total = sum(int(self.inv_amount[i]) for i in items)
        date = self.value_date(items)
        text = self.busy(core, c, total, self.inv_currency[items[0]], date)
        self._exact("busy_text", items, c, "single" if k == 1 else "multi", text=text)
