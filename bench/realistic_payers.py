"""Who pays and how, in the realistic profile: names, legal forms, third parties, instalments, fees.

The cases of bench/realistic_cases.py's docstring from name_script on, as a
mixin of :class:`bench.realistic_cases.RealisticGen` (which has the helpers
they use: ``_exact``, ``_customer_with``, ``_unique_amount_invoice``).
"""

from __future__ import annotations

import numpy as np

from bench.realistic_ledger import render_number
from cashmatch.engine.money import currency_exponent

# What payers write when they quote nothing.
NO_TEXT = ("", "PAYMENT", "ZAHLUNG", "VIREMENT", "SEPA CREDIT TRANSFER", "SAMMELZAHLUNG")
# Typical charges of a bank (major units) and of each correspondent bank.
_BANK_CHARGES = {
    "EUR": (5, 7.5, 10, 12.5, 15, 20, 25),
    "USD": (10, 15, 20, 25, 30, 35),
    "GBP": (6, 8, 10, 15, 20),
    "CHF": (10, 15, 20, 25),
    "JPY": (880, 1320, 2500, 4000),
}
_CORRESPONDENT = {
    "USD": (15, 20, 25, 30, 35, 40),
    "GBP": (10, 15, 20, 25),
    "CHF": (10, 15, 20, 25, 30),
    "JPY": (1500, 2500, 4000),
    "EUR": (10, 15, 20, 25),
}
# Early-payment discounts customary in trade terms (1%, 1.5%, 2%, 2.5%, 3%, 5%).
# A shortfall equal to one of them on the invoice is as much a discount as a
# fee: such a fee is not generated, since nobody could tell which it was.
_DISCOUNT_BP = (100, 150, 200, 250, 300, 500)


def looks_like_discount(amount: int, shortfall: int) -> bool:
    """Whether ``shortfall`` is a customary discount of ``amount`` (to the minor unit).

    Example:
        >>> looks_like_discount(20000, 1000), looks_like_discount(20000, 1250)
        (True, False)
    """
    return any(abs(amount * bp - shortfall * 10000) <= 10000 for bp in _DISCOUNT_BP)


_INSTALMENT_NOTES = {
    "de": ("{j}. RATE", "RATE {j}/{k}", "TEILZAHLUNG {j}"),
    "fr": ("ACOMPTE {j}", "ECHEANCE {j}/{k}"),
    "en": ("INSTALMENT {j} OF {k}", "PART PAYMENT {j}/{k}"),
}


class PayerCases:
    """The realistic cases about the payer and the way it pays (a mixin)."""

    def _case_fee_shortpay(self):
        """A bank fee of at most 5% of the invoice (the smaller ones are bank_charge's).

        The classic case turns a fee too large for a small invoice into 2% of
        it, which is a discount's shortfall as much as a fee's; here the
        invoice is drawn again instead.
        """
        from bench.generator import _FEES_MAJOR

        rng = self.rng
        for _ in range(40):
            items = self.pick_open()
            if not items:
                return
            i = items[0]
            exp = currency_exponent(self.inv_currency[i])
            fee = int(round(float(rng.choice(_FEES_MAJOR)) * 10**exp))
            if fee * 20 <= int(self.inv_amount[i]) and not looks_like_discount(
                int(self.inv_amount[i]), fee
            ):
                break
            self.inv_open[i] = True  # not paid after all: back in its pool
            self.by_customer[int(self.inv_customer[i])].append(i)
        else:
            return
        c = int(self.inv_customer[i])
        name, account = self.payer(c)
        pay = int(self.inv_amount[i]) - fee
        self._emit(
            "fee_shortpay",
            pay,
            self.inv_currency[i],
            self.value_date([i]),
            name,
            account,
            self.text([self.quoted(i)], c),
            [(i, pay)],
        )

    # -- who pays ---------------------------------------------------------------------

    def _case_name_script(self):
        rng = self.rng
        specials = list(self.special)
        for _ in range(40):
            if not specials:
                break
            c = int(rng.choice(specials))
            i = self._unique_amount_invoice(c)
            if i is not None:
                name = self.special[c]
                note = name.script + ("_reverse" if name.reverse else "")
                self._exact(
                    "name_script",
                    [i],
                    c,
                    note,
                    text=str(rng.choice(NO_TEXT)),
                    account=self.new_account(),
                )
                return
        return self._case_no_reference()

    def _case_legal_form(self):
        rng = self.rng
        kinds = [k for k, pool in (("twin", self.twin_of), ("cut", self.cut_name)) if pool]
        if not kinds:
            return self._case_no_reference()
        kind = str(rng.choice(kinds))
        pool = list(self.twin_of if kind == "twin" else self.cut_name)
        with_ref = rng.random() < 0.4
        for _ in range(40):
            c = int(rng.choice(pool))
            if with_ref:
                items = self.pick_open(c)
            else:
                i = self._unique_amount_invoice(c)
                items = [] if i is None else [i]
            if items:
                text = self.text([self.inv_number[items[0]]], c) if with_ref else ""
                self._exact(
                    "legal_form",
                    items,
                    c,
                    f"{kind}_{'ref' if with_ref else 'noref'}",
                    text=text,
                    name=self.bank_name(c, keep_legal=True),
                    account=self.new_account(),
                )
                return
        return self._case_no_reference()

    def _case_third_party(self):
        rng = self.rng
        families = [kids for kids in self.children.values() if len(kids) >= 2]
        if families and rng.random() < 0.6:
            kids = families[int(rng.integers(len(families)))]
            owner, payer = (int(x) for x in rng.choice(kids, size=2, replace=False))
            note = "sister"
        else:
            owner = self._customer_with(self.by_customer)
            payer = int(rng.integers(self.n_customers))
            note = "other_customer"
            if owner is None or payer == owner or self.parent[owner] == payer:
                return self._case_single_exact_ref()
        items = self.pick_open(owner)
        if not items:
            return self._case_single_exact_ref()
        text = self.text([self.inv_number[items[0]]], payer)
        self._exact("third_party", items, payer, note, text=text)

    def _case_weak_partial(self):
        rng = self.rng
        items = self.pick_open()
        if not items:
            return
        i = items[0]
        c = int(self.inv_customer[i])
        amount = int(self.inv_amount[i])
        pay = int(amount * rng.uniform(0.2, 0.8))
        exp = currency_exponent(self.inv_currency[i])
        if rng.random() < 0.4 and amount > 2 * 100 * 10**exp:
            pay = (pay // (100 * 10**exp)) * 100 * 10**exp  # a round part
        text = self.text([self.inv_number[i]], c)
        if rng.random() < 0.5:
            text += " " + str(rng.choice(["TEILZAHLUNG", "PART PAYMENT", "ACOMPTE", "A CONTO"]))
        self._emit(
            "weak_partial",
            max(pay, 1),
            self.inv_currency[i],
            self.value_date([i]),
            self._fuzzy(self.bank_name(c)),
            self.new_account(),
            text,
            [(i, max(pay, 1))],
        )

    def _fuzzy(self, name: str) -> str:
        """A bank name with one or two slips: a letter dropped, swapped or changed, a word lost."""
        rng, chars = self.rng, list(name)
        for _ in range(int(rng.integers(1, 3))):
            letters = [k for k, ch in enumerate(chars) if ch.isalpha()]
            if len(letters) < 6:
                break
            k = int(rng.choice(letters[1:-1]))
            op = rng.random()
            if op < 0.4:
                del chars[k]
            elif op < 0.7 and chars[k + 1].isalpha():
                chars[k], chars[k + 1] = chars[k + 1], chars[k]
            else:
                chars[k] = "AEIOU"[int(rng.integers(5))] if chars[k] not in "AEIOU" else "E"
        words = "".join(chars).split()
        if len(words) >= 3 and rng.random() < 0.3:
            del words[int(rng.integers(1, len(words)))]
        return " ".join(words)

    # -- how they pay -----------------------------------------------------------------

    def _case_instalment(self):
        rng = self.rng
        items = self.pick_open()
        if not items:
            return
        i = items[0]
        c = int(self.inv_customer[i])
        exp = currency_exponent(self.inv_currency[i])
        total = int(self.inv_amount[i])
        k = int(rng.integers(2, 5))
        unit = 10**exp
        base = max(unit, (total // k) // unit * unit) if rng.random() < 0.7 else total // k
        parts = [base] * (k - 1) + [total - base * (k - 1)]
        if parts[-1] <= 0:
            parts = [total // 2, total - total // 2]
            k = 2
        mode = str(rng.choice(["same_batch", "later_last", "later_middle"], p=[0.4, 0.4, 0.2]))
        if mode == "later_middle" and k < 3:
            mode = "later_last"
        if mode == "same_batch":
            first = 0
        elif mode == "later_last":
            first = k - 1
        else:
            first = int(rng.integers(1, k - 1))
        paid_before = sum(parts[:first])
        self.inv_amount[i] = total - paid_before  # what the ledger still shows open
        todo = parts[first:] if mode == "same_batch" else [parts[first]]
        name, account = self.payer(c)
        date = self.value_date([i])
        notes = _INSTALMENT_NOTES.get(self.lang(c)) or _INSTALMENT_NOTES["en"]
        for j, part in enumerate(todo, start=first + 1):
            text = self.text([self.inv_number[i]], c)
            if rng.random() < 0.6:
                text += " " + str(rng.choice(notes)).format(j=j, k=k)
            self._emit(
                "instalment",
                part,
                self.inv_currency[i],
                date,
                name,
                account,
                text,
                [(i, part)],
                mode,
            )
            date = min(self.epoch_today, date + int(rng.integers(7, 31)))

    def _case_amount_only(self):
        rng = self.rng
        size = 2 if rng.random() < 0.7 else 3
        for _ in range(40):
            c = self._customer_with(self.by_customer, least=size + 1)
            if c is None or not self.accounts[c]:
                continue
            pool = self.by_customer[c]
            chosen = [int(x) for x in rng.choice(pool, size=size + 1, replace=False)]
            target, rivals = chosen[0], chosen[1:]
            amount = sum(int(self.inv_amount[r]) for r in rivals)
            if any(int(self.inv_amount[j]) == amount for j in self._items_of(c)):
                continue
            self.inv_amount[target] = amount
            # The rivals stay open in the ledger, out of reach of cases that change amounts.
            self.take(chosen)
            self._exact(
                "amount_only",
                [target],
                c,
                "pair" if size == 2 else "triple",
                text=str(rng.choice(NO_TEXT)),
                account=self.accounts[c][0],
            )
            return
        return self._case_no_reference()

    def _case_bank_charge(self):
        rng = self.rng
        for _ in range(60):
            c = self._customer_with(self.by_customer)
            if c is None:
                break
            currency = str(self.customer_currency[c])
            exp = currency_exponent(currency)
            fee = int(
                round(
                    float(rng.choice(_BANK_CHARGES.get(currency, _BANK_CHARGES["EUR"]))) * 10**exp
                )
            )
            small = [
                i
                for i in self.by_customer[c]
                if 0.05 < fee / max(1, self.inv_amount[i] - fee) < 0.3
                and not looks_like_discount(int(self.inv_amount[i]), fee)
            ]
            if small:
                i = int(rng.choice(small))
                self.take([i])
                pay = int(self.inv_amount[i]) - fee
                name, account = self.payer(c)
                self._emit(
                    "bank_charge",
                    pay,
                    currency,
                    self.value_date([i]),
                    name,
                    account,
                    self.text([self.quoted(i)], c),
                    [(i, pay)],
                )
                return
        return self._case_fee_shortpay()

    def _case_fx_charges(self):
        rng = self.rng
        foreign = [c for c in range(self.n_customers) if self.customer_currency[c] != "EUR"]
        for _ in range(40):
            if not foreign:
                break
            c = int(rng.choice(foreign))
            items = self.pick_open(c)
            if not items:
                continue
            i = items[0]
            currency = str(self.inv_currency[i])
            exp = currency_exponent(currency)
            banks = 1 if rng.random() < 0.6 else 2
            charges = rng.choice(_CORRESPONDENT[currency], size=banks)
            fee = int(round(float(charges.sum()) * 10**exp))
            if rng.random() < 0.3 and exp:
                fee += int(rng.integers(1, 10**exp))  # a charge converted from another currency
            pay = int(self.inv_amount[i]) - fee
            if pay <= 0 or looks_like_discount(int(self.inv_amount[i]), fee):
                self.inv_open[i] = True  # not paid after all: back in its pool
                self.by_customer[c].append(i)
                continue
            name, account = self.payer(c)
            self._emit(
                "fx_charges",
                pay,
                currency,
                self.value_date([i]),
                name,
                account,
                self.text([self.quoted(i)], c),
                [(i, pay)],
                f"{banks}_bank",
            )
            return
        return self._case_fee_shortpay()

    def _case_unmatchable(self):
        rng = self.rng
        kind = str(rng.choice(["unknown_payer", "prepayment", "closed_invoice"]))
        if kind != "closed_invoice":
            return self._unmatchable_payer(kind)
        # The number of an invoice already paid: a gap in the customer's series.
        c = int(rng.choice(self.n_customers, p=self.weight))
        items = self._items_of(c)
        if not items:
            return self._unmatchable_payer("prepayment")
        i = int(rng.choice(items))
        for back in range(1, 30):
            seq = self.inv_seq[i] - back
            number = render_number(self.inv_series[i], self.inv_year[i], seq)
            if seq > 0 and number not in self.ledger_numbers:
                break
        else:
            return self._unmatchable_payer("prepayment")
        exp = currency_exponent(self.inv_currency[i])
        amount = int(np.exp(rng.normal(np.log(900), 1.0)) * 10**exp)
        name, account = self.payer(c)
        self._emit(
            "unmatchable",
            amount,
            self.inv_currency[i],
            self.epoch_today - int(rng.integers(0, 10)),
            name,
            account,
            self.text([number], c),
            [],
            kind,
        )

    def _unmatchable_payer(self, kind: str):
        """Money no open item is for: an unknown payer, or a known one paying in advance."""
        from bench.generator import _CURRENCIES, _FIRST, _SECOND, _THIRD

        rng = self.rng
        currency = str(rng.choice([c for c, _ in _CURRENCIES], p=[w for _, w in _CURRENCIES]))
        amount = int(np.exp(rng.normal(np.log(900), 1.0)) * 10 ** currency_exponent(currency))
        date = self.epoch_today - int(rng.integers(0, 10))
        if kind == "unknown_payer":
            name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_THIRD)}".upper()[:30]
            text = str(rng.choice(["REFUND", "DEPOSIT", "", f"ORDER {rng.integers(10**5, 10**6)}"]))
            account = self._iban()
        else:
            c = int(rng.choice(self.n_customers, p=self.weight))
            name, account = self.payer(c)
            text = f"PREPAYMENT ORDER {rng.integers(10**5, 10**6)}"
        self._emit("unmatchable", amount, currency, date, name, account, text, [], kind)
