"""What payers write and what banks print, in the realistic profile.

Payment texts follow the payer's language and habits: "RE 5120 + RE 5121 ./.
GS 77" in German, "FACT 2210 MOINS AVOIR 19" in French, "PAYMENT 3310 LESS
CREDIT MEMO 41" in English; invoice lists joined by commas, slashes, "+",
"UND" or "ET"; and bank texts crowded with other numbers (end-to-end ids,
customer and order numbers, dates, amounts, IBANs, tax ids), as in the MT940
and camt samples of ../shared/samples (``?20EREF+TFNR 40005 00005``,
``SVWZ+TO 13 TFNr 20004``, ``Rg.-Nr. 1234567890``).
"""

from __future__ import annotations

from cashmatch.engine.money import currency_exponent

_TEMPLATES = {
    "en": [
        "{r}",
        "{r}",
        "PAYMENT {r}",
        "Invoice {r}",
        "INV {r} THANK YOU",
        "SETTLEMENT OF {r}",
        "/INV/{r}",
        "{cust} {r}",
        "INVOICE NO {r}",
        "PMT INV {r}",
    ],
    "de": [
        "{r}",
        "RE {r}",
        "Rechnung {r}",
        "RG-NR. {r}",
        "Rg.-Nr. {r}",
        "RECHNUNG NR {r} KD-NR {cust}",
        "SVWZ+RE {r}",
        "Zahlung Rechnung {r}",
    ],
    "fr": [
        "{r}",
        "FACT {r}",
        "Facture {r}",
        "FACTURE N° {r}",
        "REGLEMENT FACTURE {r}",
        "VIR FACT {r}",
        "REF CLIENT {cust} FACT {r}",
    ],
    "nl": ["{r}", "FACTUUR {r}", "FACTUURNUMMER {r}", "BETREFT FACTUUR {r}", "FACT {r}"],
    "es": ["{r}", "FACTURA {r}", "FRA. {r}", "PAGO FACTURA {r}"],
    "it": ["{r}", "FATTURA {r}", "FT. {r}", "SALDO FATTURA {r}", "PAGAMENTO FT {r}"],
    "ru": ["{r}", "Оплата по счету № {r}", "СЧЕТ {r}", "INV {r}"],
}
_JOINERS = {
    "en": [", ", " ", "/", " + ", " AND ", "; "],
    "de": [", ", " ", "/", " + ", " UND ", "; "],
    "fr": [", ", " ", "/", " + ", " ET ", "; "],
}
# A credit note netted against invoices: {i} the invoices, {c} the credit note.
CREDIT_TEMPLATES = {
    "de": [
        "RE {i} ./. GS {c}",
        "Rechnung {i} abzgl. Gutschrift {c}",
        "RG {i} ABZUEGL. GUTSCHRIFT {c}",
        "RE {i} MINUS GS {c}",
        "{i} ./. {c}",
    ],
    "en": [
        "PAYMENT {i} LESS CREDIT MEMO {c}",
        "INV {i} LESS CN {c}",
        "INVOICE {i} MINUS CREDIT NOTE {c}",
        "INV {i} - CR {c}",
        "{i} LESS {c}",
    ],
    "fr": ["FACT {i} MOINS AVOIR {c}", "FACTURES {i} DEDUCTION AVOIR {c}", "FACT {i} - AV {c}"],
    "nl": ["FACTUUR {i} MIN CREDITNOTA {c}", "FACT {i} VERREKEND MET CREDITNOTA {c}"],
    "es": ["FRA {i} MENOS ABONO {c}", "FACTURA {i} DESCONTADO ABONO {c}"],
    "it": ["FT {i} MENO NOTA DI CREDITO {c}", "FT {i} NC {c}"],
    "ru": ["СЧЕТ {i} МИНУС КРЕДИТ-НОТА {c}", "INV {i} LESS CN {c}"],
}
PO_TEMPLATES = {
    "de": ["BESTELLUNG {p}", "Bestell-Nr. {p}", "IHRE BESTELLUNG {p}", "BESTELLNR {p}"],
    "en": ["PO {p}", "P.O. #{p}", "ORDER NO. {p}", "PURCHASE ORDER {p}", "YOUR PO {p}"],
    "fr": ["BDC {p}", "BON DE COMMANDE {p}", "COMMANDE {p}", "CDE {p}"],
    "nl": ["ORDER {p}", "INKOOPORDER {p}", "BESTELLING {p}"],
    "es": ["PEDIDO {p}", "N. PEDIDO {p}"],
    "it": ["ORDINE {p}", "ORDINE N. {p}"],
    "ru": ["ЗАКАЗ {p}", "PO {p}"],
}
# Invoice {n} (only its sequence number) issued on {d}.
DATED_TEMPLATES = {
    "fr": ["N° {n} du {d}", "FACTURE N° {n} DU {d}", "FACT {n} DU {d}"],
    "de": ["Rechnung {n} vom {d}", "RE {n} v. {d}", "RG {n} VOM {d}"],
    "en": ["INVOICE {n} DATED {d}", "INV {n} OF {d}"],
    "ru": ["Оплата по счету № {n} от {d}"],
}
RANGE_WORDS = {
    "en": ["-", " - ", " to ", " TO ", " thru "],
    "de": ["-", " bis ", " BIS "],
    "fr": ["-", " à ", " au ", " A "],
    "nl": ["-", " t/m ", " tot "],
    "es": ["-", " a ", " al "],
    "it": ["-", " a ", " al "],
    "ru": ["-", " по "],
}
_BUSY_NOISE = {
    "de": [
        "KD-NR {cust}",
        "KUNDENNR. {cust}",
        "AUFTRAG {order}",
        "USt-IdNr DE{vat}",
        "Betrag {amount_de} EUR",
        "vom {date}",
        "EREF+{e2e}",
        "MREF+{mandate}",
        "TFNR {tf} {tf2}",
        "IBAN {iban}",
    ],
    "en": [
        "CUST NO {cust}",
        "ORDER {order}",
        "AMT {amount_en}",
        "DATE {date}",
        "E2E {e2e}",
        "ACCT {iban}",
        "TRN {trn}",
        "REF {trn}",
    ],
    "fr": [
        "CLIENT {cust}",
        "COMMANDE {order}",
        "MONTANT {amount_de}",
        "DU {date}",
        "SIRET {siret}",
        "REF {e2e}",
        "IBAN {iban}",
    ],
}


def _words_for(table: dict, lang: str) -> list[str]:
    return table.get(lang) or table["en"]


class RealisticTexts:
    """Payment texts and bank names of the realistic profile (mixin over _Gen)."""

    def lang(self, customer: int | None) -> str:
        return "en" if customer is None else self.cust_lang[customer]

    def text(self, refs: list[str], customer: int | None) -> str:
        rng, lang = self.rng, self.lang(customer)
        joiners = _JOINERS.get(lang, _JOINERS["en"])
        joined = str(rng.choice(joiners)).join(refs)
        template = str(rng.choice(_words_for(_TEMPLATES, lang)))
        cust = (
            f"{rng.integers(10000, 99999)}" if customer is None else self.customer_ids[customer][1:]
        )
        return template.format(r=joined, cust=cust)

    def busy(self, core: str, customer: int, amount: int, currency: str, date: int) -> str:
        """``core`` among the other numbers banks and payers put in a text."""
        rng, lang = self.rng, self.lang(customer)
        exp = currency_exponent(currency)
        major, minor = divmod(int(amount), 10**exp) if exp else (int(amount), 0)
        amount_de = f"{major:,}".replace(",", ".") + (f",{minor:0{exp}d}" if exp else "")
        amount_en = f"{currency} {major:,}" + (f".{minor:0{exp}d}" if exp else "")
        values = {
            "cust": self.customer_ids[customer][1:]
            if rng.random() < 0.6
            else rng.integers(10**4, 10**6),
            "order": f"45{rng.integers(0, 10**8):08d}"
            if rng.random() < 0.5
            else rng.integers(10**4, 10**5),
            "vat": rng.integers(10**8, 10**9),
            "amount_de": amount_de,
            "amount_en": amount_en,
            "date": self.date_text(date - int(rng.integers(0, 40)), lang),
            "e2e": f"E2E{rng.integers(10**9, 10**10)}",
            "mandate": f"M{rng.integers(10**5, 10**6)}-{rng.integers(10, 99)}",
            "tf": rng.integers(10000, 99999),
            "tf2": f"{rng.integers(0, 99999):05d}",
            "iban": (self.accounts[customer] or [self._iban()])[0],
            "trn": rng.integers(10**7, 10**9),
            "siret": f"{rng.integers(100, 999)} {rng.integers(100, 999)} {rng.integers(100, 999)} "
            f"{rng.integers(10000, 99999)}",
        }
        noise = _words_for(_BUSY_NOISE, lang)
        parts = [str(x).format(**values) for x in rng.choice(noise, size=int(rng.integers(2, 5)))]
        parts.insert(int(rng.integers(0, len(parts) + 1)), core)
        return " ".join(parts)

    def bank_name(self, customer: int, keep_legal: bool = False) -> str:
        rng = self.rng
        if customer in self.special:
            name = str(rng.choice(self.special[customer].bank))
            return name[: int(rng.choice([24, 27, 30, 35, 40]))].strip()
        if customer in self.cut_name:
            return self.cut_name[customer]
        if keep_legal or (customer in self.twin_of and rng.random() < 0.5):
            return self.customer_names[customer].upper()[:35].strip()
        return super().bank_name(customer)

    def quoted(self, i: int) -> str:
        """How a payer writes invoice ``i``: as printed, mostly."""
        rng, number = self.rng, self.inv_number[i]
        u = rng.random()
        if u < 0.8:
            return number
        if u < 0.9:
            return number.replace("-", " ")
        return number.lower()

    def short_number(self, i: int) -> str:
        """The invoice's sequence number alone, as people say it ("117" for 2024-00117)."""
        return str(self.inv_seq[i])
