"""Customer names in other scripts and spellings, and how banks print them.

A customer master may hold a name in its own script (Cyrillic, Greek,
Japanese, Chinese) or with letters outside ASCII (ß, ö, Æ, Ø, ł, ç), while the
bank prints it in ASCII, by whatever rule its system follows; or the master
holds an ASCII rendering and the payer's bank sends the native script. The
renderings here follow the systems banks and payers actually use, not any
one library's:

- Cyrillic: the SWIFT transliteration of Russian banks (Ж→J, Х→H, Ц→C, Ю→IU,
  Я→IA), ICAO 9303 of passports (Ж→ZH, Х→KH, Ц→TS), BGN/PCGN (Й→Y, Ю→YU,
  Я→YA) and GOST 7.79-B (Х→X, Ц→CZ, Щ→SHH).
- Greek: ELOT 743 (Η→I, Υ→Y, Χ→CH, Β→V), and the phonetic habit (Υ→I, Χ→H).
- Japanese: Zengin transfers print the payer in half-width katakana, small
  kana written large (ｼﾖ for ショ) and the legal form as ｶ) or (ｶ; abroad, the
  company's romaji name with KK or CO LTD. A Japanese master keeps the kana
  reading (furigana) as an alias, as Japanese ERPs do for bank matching.
- Chinese: pinyin joined per word ("SHANGHAI HUACHENG MAOYI YOUXIAN GONGSI"), or
  the company's English name, which masters keep as an alias when they have it.
- Latin letters outside ASCII: the German convention (ö→OE, ß→SS), the letter
  stripped of its accent (ö→O), dropped by a system that cannot print it (ß→''),
  or replaced by "?" or "." as old bank systems do.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> name = special_name(rng, "cyrillic")
    >>> name.script, name.reverse or all(r.isascii() for r in name.bank)
    ('cyrillic', True)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

SCRIPTS = ("cyrillic", "greek", "japanese", "chinese", "latin")


def _words(text: str) -> list[str]:
    return text.split()


@dataclass
class SpecialName:
    """A customer name and the ways banks print it.

    Attributes:
        script: one of :data:`SCRIPTS`.
        master: the name as the customer master holds it.
        bank: the renderings a bank may print (upper case, no legal-form cut).
        aliases: what a master keeps besides (kana reading, English name).
        reverse: the master holds the ASCII form and banks send the native one.
        key: the name without its legal form: two customers of one key would
            be told apart by their legal form alone.
    """

    script: str
    master: str
    bank: list[str]
    aliases: list[str] = field(default_factory=list)
    reverse: bool = False
    key: str = ""


# -- Cyrillic -----------------------------------------------------------------

_CYR_WORDS = _words(
    "Ромашка Северсталь Волга Уралхим Сибирь Заря Восход Кристалл Янтарь Жемчуг "
    "Звезда Прогресс Энергия Щит Юпитер Химпром Царь Байкал Нева Изумруд Русь Держава "
    "Хлебзавод Чайка"
)
_CYR_TRADES = _words(
    "Логистика Торг Трейд Снаб Металл Строй Пищепром Техника Химия Фарм Электро "
    "Мебель Текстиль Транс"
)
_CYR_FORMS = [("ООО", "OOO"), ("АО", "AO"), ("ЗАО", "ZAO"), ("ЕООД", "EOOD"), ("ТОВ", "TOV")]

_CYR_BASE = dict(
    zip(
        "АБВГДЕЗИКЛМНОПРСТУФЫЭ",
        [
            "A",
            "B",
            "V",
            "G",
            "D",
            "E",
            "Z",
            "I",
            "K",
            "L",
            "M",
            "N",
            "O",
            "P",
            "R",
            "S",
            "T",
            "U",
            "F",
            "Y",
            "E",
        ],
    )
)
# The letters the systems disagree on.
_CYR_SYSTEMS = {
    "swift": {
        "Ё": "E",
        "Ж": "J",
        "Й": "I",
        "Х": "H",
        "Ц": "C",
        "Ч": "CH",
        "Ш": "SH",
        "Щ": "SHCH",
        "Ъ": "",
        "Ь": "",
        "Ю": "IU",
        "Я": "IA",
    },
    "icao": {
        "Ё": "E",
        "Ж": "ZH",
        "Й": "I",
        "Х": "KH",
        "Ц": "TS",
        "Ч": "CH",
        "Ш": "SH",
        "Щ": "SHCH",
        "Ъ": "IE",
        "Ь": "",
        "Ю": "IU",
        "Я": "IA",
    },
    "bgn": {
        "Ё": "YO",
        "Ж": "ZH",
        "Й": "Y",
        "Х": "KH",
        "Ц": "TS",
        "Ч": "CH",
        "Ш": "SH",
        "Щ": "SHCH",
        "Ъ": "",
        "Ь": "",
        "Ю": "YU",
        "Я": "YA",
    },
    "gost": {
        "Ё": "YO",
        "Ж": "ZH",
        "Й": "J",
        "Х": "X",
        "Ц": "CZ",
        "Ч": "CH",
        "Ш": "SH",
        "Щ": "SHH",
        "Ъ": "",
        "Ь": "",
        "Ю": "YU",
        "Я": "YA",
    },
}


def cyrillic_to_latin(text: str, system: str) -> str:
    """Transliterate upper-cased Cyrillic by one bank's system.

    Example:
        >>> cyrillic_to_latin("ХИМПРОМ ЮПИТЕР", "swift"), cyrillic_to_latin("ХИМПРОМ", "gost")
        ('HIMPROM IUPITER', 'XIMPROM')
    """
    table = {**_CYR_BASE, **_CYR_SYSTEMS[system]}
    return "".join(table.get(ch, ch) for ch in text.upper())


def _cyrillic(rng: np.random.Generator) -> SpecialName:
    brand = str(rng.choice(_CYR_WORDS))
    trade = str(rng.choice(_CYR_TRADES))
    form, form_latin = _CYR_FORMS[int(rng.integers(len(_CYR_FORMS)))]
    native = f"{form} «{brand} {trade}»" if rng.random() < 0.5 else f"{brand} {trade} {form}"
    words = f"{brand} {trade}".upper()
    bank = []
    for system in _CYR_SYSTEMS:
        latin = cyrillic_to_latin(words, system)
        bank.append(f"{form_latin} {latin}" if rng.random() < 0.5 else f"{latin} {form_latin}")
    if rng.random() < 0.3:
        system = str(rng.choice(list(_CYR_SYSTEMS)))
        master = f"{cyrillic_to_latin(words, system).title()} {form_latin}"
        return SpecialName("cyrillic", master, [f"{form} {words}"], reverse=True, key=words)
    return SpecialName("cyrillic", native, bank, key=words)


# -- Greek --------------------------------------------------------------------

_GR_WORDS = _words(
    "Αθηναϊκή Ολυμπιακή Θεσσαλική Κρητική Μακεδονική Ηπειρωτική Αιγαίο Χαλκίδα Ψυχικό "
    "Βόρειο Δελφοί Πήγασος Ερμής Ζευς Υμηττός"
)
_GR_TRADES = _words(
    "Ζυθοποιία Ναυτιλιακή Εμπορική Τεχνική Χημική Τροφίμων Μεταφορές Κατασκευές "
    "Υφαντουργία Φαρμακευτική"
)
_GR_FORMS = [("Α.Ε.", "AE"), ("Ε.Π.Ε.", "EPE"), ("Ο.Ε.", "OE"), ("Ι.Κ.Ε.", "IKE")]
# ELOT 743 writes these pairs as two Latin letters of their own.
_GR_PAIRS = {"ΟΥ": "OU", "ΑΥ": "AV", "ΕΥ": "EV", "ΓΓ": "NG"}
_GR_BASE = dict(
    zip(
        "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
        [
            "A",
            "V",
            "G",
            "D",
            "E",
            "Z",
            "I",
            "TH",
            "I",
            "K",
            "L",
            "M",
            "N",
            "X",
            "O",
            "P",
            "R",
            "S",
            "T",
            "Y",
            "F",
            "CH",
            "PS",
            "O",
        ],
    )
)
_GR_PHONETIC = {"Υ": "I", "Χ": "H", "Β": "V", "Η": "I", "Ξ": "KS"}


def greek_to_latin(text: str, phonetic: bool = False) -> str:
    """Transliterate Greek by ELOT 743, or by the phonetic habit (Υ→I, Χ→H).

    Example:
        >>> greek_to_latin("Ζυθοποιία"), greek_to_latin("Χημική", phonetic=True)
        ('ZYTHOPOIIA', 'HIMIKI')
    """
    plain = "".join(
        ch for ch in unicodedata.normalize("NFD", text.upper()) if not unicodedata.combining(ch)
    )
    table = {**_GR_BASE, **(_GR_PHONETIC if phonetic else {})}
    out, k = [], 0
    while k < len(plain):
        pair = plain[k : k + 2]
        if pair in _GR_PAIRS and not phonetic:
            out.append(_GR_PAIRS[pair])
            k += 2
            continue
        out.append(table.get(plain[k], plain[k]))
        k += 1
    return "".join(out)


def _greek(rng: np.random.Generator) -> SpecialName:
    brand, trade = str(rng.choice(_GR_WORDS)), str(rng.choice(_GR_TRADES))
    form, form_latin = _GR_FORMS[int(rng.integers(len(_GR_FORMS)))]
    native = f"{brand} {trade} {form}"
    bank = [
        f"{greek_to_latin(brand)} {greek_to_latin(trade)} {form_latin}",
        f"{greek_to_latin(brand, True)} {greek_to_latin(trade, True)} {form_latin}",
        f"{greek_to_latin(brand)} {greek_to_latin(trade)}",
    ]
    if rng.random() < 0.3:
        master = f"{greek_to_latin(brand).title()} {greek_to_latin(trade).title()} {form_latin}"
        plain = "".join(
            ch
            for ch in unicodedata.normalize("NFD", native.upper())
            if not unicodedata.combining(ch)
        )
        return SpecialName("greek", master, [plain], reverse=True, key=f"{brand} {trade}")
    return SpecialName("greek", native, bank, key=f"{brand} {trade}")


# -- Japanese -----------------------------------------------------------------

# (kanji, katakana reading, Hepburn romaji)
_JP_BRANDS = [
    ("山田", "ヤマダ", "YAMADA"),
    ("東洋", "トウヨウ", "TOYO"),
    ("日本", "ニホン", "NIHON"),
    ("大和", "ヤマト", "YAMATO"),
    ("北陸", "ホクリク", "HOKURIKU"),
    ("三栄", "サンエイ", "SANEI"),
    ("富士", "フジ", "FUJI"),
    ("中央", "チュウオウ", "CHUO"),
    ("昭和", "ショウワ", "SHOWA"),
    ("丸紅", "マルベニ", "MARUBENI"),
    ("協和", "キョウワ", "KYOWA"),
    ("新光", "シンコウ", "SHINKO"),
    ("松本", "マツモト", "MATSUMOTO"),
    ("高橋", "タカハシ", "TAKAHASHI"),
    ("青木", "アオキ", "AOKI"),
]
_JP_TRADES = [
    ("製作所", "セイサクショ", "SEISAKUSHO"),
    ("商事", "ショウジ", "SHOJI"),
    ("電機", "デンキ", "DENKI"),
    ("物産", "ブッサン", "BUSSAN"),
    ("工業", "コウギョウ", "KOGYO"),
    ("化学", "カガク", "KAGAKU"),
    ("精機", "セイキ", "SEIKI"),
    ("運輸", "ウンユ", "UNYU"),
    ("食品", "ショクヒン", "SHOKUHIN"),
    ("産業", "サンギョウ", "SANGYO"),
]


def _halfwidth_table() -> dict[str, str]:
    table = {}
    for code in range(0xFF66, 0xFF9E):
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        table.setdefault(full, half)
        voiced = unicodedata.normalize("NFKC", half + "\uff9e")
        if len(voiced) == 1:
            table.setdefault(voiced, half + "\uff9e")
        semi = unicodedata.normalize("NFKC", half + "\uff9f")
        if len(semi) == 1:
            table.setdefault(semi, half + "\uff9f")
    return table


_HALFWIDTH = _halfwidth_table()
# Zengin's character set has no small kana: they are written large.
_ZENGIN_LARGE = {
    "ャ": "ヤ",
    "ュ": "ユ",
    "ョ": "ヨ",
    "ッ": "ツ",
    "ァ": "ア",
    "ィ": "イ",
    "ゥ": "ウ",
    "ェ": "エ",
    "ォ": "オ",
}


def zengin_kana(katakana: str) -> str:
    """Full-width katakana as a Zengin transfer prints it: half-width, small kana large.

    Example:
        >>> zengin_kana("ヤマダセイサクショ")
        'ﾔﾏﾀﾞｾｲｻｸｼﾖ'
    """
    large = "".join(_ZENGIN_LARGE.get(ch, ch) for ch in katakana)
    return "".join(_HALFWIDTH.get(ch, ch) for ch in large)


def _japanese(rng: np.random.Generator) -> SpecialName:
    brand = _JP_BRANDS[int(rng.integers(len(_JP_BRANDS)))]
    trade = _JP_TRADES[int(rng.integers(len(_JP_TRADES)))]
    prefix = rng.random() < 0.6  # 株式会社 before or after the name
    kanji = f"株式会社{brand[0]}{trade[0]}" if prefix else f"{brand[0]}{trade[0]}株式会社"
    kana = zengin_kana(brand[1] + trade[1])
    zengin = f"ｶ){kana}" if prefix else f"{kana}(ｶ"
    romaji = f"{brand[2]} {trade[2]}"
    bank = [zengin, f"{romaji} KK", f"{romaji} CO LTD"]
    if rng.random() < 0.3:
        return SpecialName(
            "japanese", f"{romaji.title()} Co., Ltd.", [zengin], reverse=True, key=romaji
        )
    aliases = [brand[1] + trade[1]] if rng.random() < 0.7 else []
    return SpecialName("japanese", kanji, bank, aliases, key=romaji)


# -- Chinese ------------------------------------------------------------------

# (hanzi, pinyin, English)
_CN_CITIES = [
    ("上海", "SHANGHAI"),
    ("深圳", "SHENZHEN"),
    ("广州", "GUANGZHOU"),
    ("北京", "BEIJING"),
    ("宁波", "NINGBO"),
    ("苏州", "SUZHOU"),
    ("厦门", "XIAMEN"),
    ("青岛", "QINGDAO"),
]
_CN_BRANDS = [
    ("华诚", "HUACHENG"),
    ("华强", "HUAQIANG"),
    ("永盛", "YONGSHENG"),
    ("金龙", "JINLONG"),
    ("恒通", "HENGTONG"),
    ("鑫源", "XINYUAN"),
    ("东方", "DONGFANG"),
    ("长江", "CHANGJIANG"),
    ("新世纪", "XINSHIJI"),
    ("宏达", "HONGDA"),
]
_CN_TRADES = [
    ("贸易", "MAOYI", "TRADING"),
    ("电子", "DIANZI", "ELECTRONICS"),
    ("机械", "JIXIE", "MACHINERY"),
    ("纺织", "FANGZHI", "TEXTILE"),
    ("化工", "HUAGONG", "CHEMICAL"),
    ("物流", "WULIU", "LOGISTICS"),
    ("科技", "KEJI", "TECHNOLOGY"),
    ("进出口", "JINCHUKOU", "IMPORT AND EXPORT"),
]


def _chinese(rng: np.random.Generator) -> SpecialName:
    city = _CN_CITIES[int(rng.integers(len(_CN_CITIES)))]
    brand = _CN_BRANDS[int(rng.integers(len(_CN_BRANDS)))]
    trade = _CN_TRADES[int(rng.integers(len(_CN_TRADES)))]
    native = f"{city[0]}{brand[0]}{trade[0]}有限公司"
    pinyin = f"{city[1]} {brand[1]} {trade[1]} YOUXIAN GONGSI"
    english = f"{city[1]} {brand[1]} {trade[2]} CO LTD"
    if rng.random() < 0.3:
        return SpecialName(
            "chinese",
            english.title().replace("Co Ltd", "Co., Ltd."),
            [native],
            reverse=True,
            key=native,
        )
    aliases = [english.title()] if rng.random() < 0.5 else []
    return SpecialName("chinese", native, [pinyin, english], aliases, key=native)


# -- Latin letters outside ASCII ----------------------------------------------

_LATIN_WORDS = _words(
    "Weiß Schröder Müller Bäcker Größer Süßwaren Fröhlich Jäger Köhler Brückner Ærø "
    "Ørsted Åsgård Søndergaard Bjørn Hæhre Łódź Wrocław Gdańsk Żywiec Kraków Société "
    "Générale Crème Château Peñalara Muñoz Çelik Doğan Işık Şahin Dvořák"
)
_LATIN_TRADES = _words(
    "Baustoffe Logistik Maschinenbau Fiskeri Meble Vinos Yapı Elektro Transport Bois "
    "Textil Stahlbau Energi Møbler Gıda Chemie"
)
_LATIN_FORMS = [
    "GmbH",
    "AG",
    "ApS",
    "A/S",
    "AB",
    "Sp. z o.o.",
    "SARL",
    "SA",
    "SL",
    "A.Ş.",
    "s.r.o.",
]
# The German (and Nordic) conventions: a letter becomes two.
_TWO_LETTERS = {
    "Ä": "AE",
    "Ö": "OE",
    "Ü": "UE",
    "ß": "SS",
    "Æ": "AE",
    "Ø": "OE",
    "Å": "AA",
    "Œ": "OE",
    "ẞ": "SS",
}
# Letters that NFKD leaves alone: stripped by hand.
_ONE_LETTER = {"ß": "SS", "Æ": "AE", "Ø": "O", "Ł": "L", "Đ": "D", "Œ": "OE"}


def latin_to_ascii(text: str, style: str) -> str:
    """Print a Latin name in ASCII the way one bank system does.

    Styles: ``german`` (ö→OE, ß→SS), ``strip`` (accents dropped, ß→SS),
    ``drop`` (a letter the system cannot print disappears), ``question``
    (it becomes "?").

    Example:
        >>> [latin_to_ascii("Weiß Schröder", s) for s in ("german", "strip", "drop", "question")]
        ['WEISS SCHROEDER', 'WEISS SCHRODER', 'WEI SCHRDER', 'WEI? SCHR?DER']
    """
    out = []
    for ch in text:
        up = "ß" if ch == "ß" else ch.upper()
        if up.isascii():
            out.append(up)
        elif style == "german" and up in _TWO_LETTERS:
            out.append(_TWO_LETTERS[up])
        elif style in ("german", "strip"):
            base = (
                _ONE_LETTER.get(up)
                or unicodedata.normalize("NFKD", up).encode("ascii", "ignore").decode()
            )
            out.append(base)
        elif style == "question":
            out.append("?")
    return "".join(out)


def _latin(rng: np.random.Generator) -> SpecialName:
    words = [str(rng.choice(_LATIN_WORDS)), str(rng.choice(_LATIN_TRADES))]
    if rng.random() < 0.3:
        words.insert(1, str(rng.choice(_LATIN_WORDS)))
    form = str(rng.choice(_LATIN_FORMS))
    native = " ".join(words) + f" {form}"
    styles = ["german", "strip"] + (["drop", "question"] if rng.random() < 0.3 else [])
    bank = [latin_to_ascii(" ".join(words), s) for s in styles]
    if rng.random() < 0.25:
        master = latin_to_ascii(" ".join(words), "german").title() + f" {form}"
        key = " ".join(words)
        return SpecialName("latin", master, [key.upper()], reverse=True, key=key)
    return SpecialName("latin", native, bank, key=" ".join(words))


_MAKERS = {
    "cyrillic": _cyrillic,
    "greek": _greek,
    "japanese": _japanese,
    "chinese": _chinese,
    "latin": _latin,
}


def special_name(rng: np.random.Generator, script: str) -> SpecialName:
    """A customer name in ``script`` with its bank renderings."""
    return _MAKERS[script](rng)
