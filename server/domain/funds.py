"""Saudi mutual funds: the type and currency read from a fund's Arabic name, and synthetic
NAV histories that end at a fund's real latest NAV.

Fund type. The snapshot has no type column, so the type is read from keywords in the name,
and only where one makes it evident; otherwise it is UNSPECIFIED (a name such as
'صندوق الراجحي القيادي' says nothing about what the fund holds). Names are first put through
`normalise_arabic`, since the snapshot spells one word several ways ('الأھلي' with U+06BE,
'السعودیة' with a Persian yeh, 'صنـدوق' with a tatweel, 'مُلكيّة' with harakat). A keyword
is a stem written without the article; it matches a whole word, alone or behind a proclitic
(ال، لل، ل، ب، بال، و، وال، ...), so 'مؤشر' matches 'لمؤشر' and 'المؤشر' but not
'للمؤشرات' (a fund buying shares about to join indices, not an index fund). The types are
tried in the order of `TYPE_KEYWORDS` (which lists the keywords) and the first with a
matching keyword wins. Why that order:

- FUND_OF_FUNDS first ('صناديق'): the structure decides; a fund of REIT funds or of IPO
  funds is a fund of funds.
- COMMODITY ('ذهب', 'مؤشر سلع') before INDEX: a commodity index fund holds commodities;
  'لأسهم السلع' (commodity shares) is left to EQUITY.
- INDEX ('مؤشر') before EQUITY: 'لمؤشر الأسهم السعودية' is an index fund holding shares.
- FIXED_INCOME ('صكوك', 'سندات', 'دخل ثابت') before MONEY_MARKET and EQUITY: 'لصكوك
  الشركات' holds corporate sukuk, not shares, and 'للصكوك والمرابحة' carries sukuk risk.
- MONEY_MARKET ('مرابحة', 'سيولة', 'النقد', 'قصير الأجل'), then MULTI_ASSET ('متوازن',
  'متعدد الأصول', 'الأصول المتنوعة', 'توزيع الأصول').
- EQUITY ('أسهم', 'الشركات', IPO and Nomu words) before REAL_ESTATE: 'للأسهم العقارية'
  holds real-estate shares, not property.
- REAL_ESTATE last ('عقار', 'ريت', 'سكني', 'فندقي', 'فلل').

Left out on purpose: 'متنوع' alone (the snapshot's 'الأهلي المتنوع بالريال' family are
murabaha funds with a published volatility of about 0.4 %, not multi-asset funds), 'المتاجرة'
(both trade-finance funds and share-trading funds), 'المحافظ'/'المتحفظ' (a risk profile,
not an asset class) and sector words such as 'البتروكيماويات' without 'أسهم'.

Currency. The snapshot's currency column says SAR for every fund, its USD share classes
included; the name says which class it is ('بالدولار', 'للدولار', 'الدولار الأمريكي'). Euro
and sterling classes ('باليورو', 'يورو', 'بالجنيه الإسترليني') are named as plainly, so they
get EUR and GBP rather than a wrong SAR.

Synthetic NAV histories. See `synthetic_nav_history`; everything it produces is demo data,
to be labelled synthetic by whoever serves it.
"""

import math
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from server.domain.fund_metrics import VALUATION_DAYS_PER_YEAR
from server.domain.trading_calendar import FIRST_COVERED_DAY, LAST_COVERED_DAY, is_trading_day

# --- Arabic normalisation ----------------------------------------------------------------

_HARAKAT_AND_TATWEEL = re.compile("[\u064b-\u065f\u0670\u0640]")
_LETTER_VARIANTS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef with hamza or madda, alef wasla
    "ة": "ه",  # taa marbuta: written as haa as often as not
    "ھ": "ه",  # U+06BE heh doachashmee, as in 'الأھلي'
    "ی": "ي", "ى": "ي",  # Persian yeh and alef maqsura: 'السعودیة', 'الاهلى'
    "ک": "ك",  # Persian keheh
})


def normalise_arabic(text: str) -> str:
    """`text` with one spelling per letter, no harakat or tatweel, and single spaces."""
    text = _HARAKAT_AND_TATWEEL.sub("", text).translate(_LETTER_VARIANTS)
    return " ".join(text.split())


# The clitics that can precede a noun in a fund name: the article, the prepositions bi- and
# li- (li- + al- is written 'لل') and the conjunction wa-. Longest first for the regex.
_PROCLITICS = ("وبال", "وال", "ولل", "بال", "فال", "كال", "ال", "لل", "وب", "ول", "ب", "ل", "و")
_PREFIX = "(?:" + "|".join(_PROCLITICS) + ")?"


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A normalised keyword of one or more stems, each a whole word behind any proclitic."""
    words = r"\s+".join(_PREFIX + re.escape(word) for word in keyword.split())
    return re.compile(rf"(?:^|[\s(\-–]){words}(?=$|[\s)\-–])")


# --- fund type ---------------------------------------------------------------------------


class FundType(Enum):
    UNSPECIFIED = "UNSPECIFIED"
    EQUITY = "EQUITY"
    MONEY_MARKET = "MONEY_MARKET"
    FIXED_INCOME = "FIXED_INCOME"
    REAL_ESTATE = "REAL_ESTATE"
    MULTI_ASSET = "MULTI_ASSET"
    INDEX = "INDEX"
    FUND_OF_FUNDS = "FUND_OF_FUNDS"
    COMMODITY = "COMMODITY"


# In precedence order; the module docstring says why each comes where it does.
TYPE_KEYWORDS: tuple[tuple[FundType, tuple[str, ...]], ...] = (
    (FundType.FUND_OF_FUNDS, ("صناديق",)),
    (FundType.COMMODITY, ("ذهب", "مؤشر سلع")),
    (FundType.INDEX, ("مؤشر",)),
    (FundType.FIXED_INCOME, ("صكوك", "سندات", "دخل ثابت")),
    (FundType.MONEY_MARKET, ("مرابحه", "مرابحات", "سيوله", "نقد", "قصير اجل")),
    (FundType.MULTI_ASSET, ("متوازن", "متوازنه", "متعدد اصول", "اصول متنوعه", "توزيع اصول")),
    (FundType.EQUITY, ("اسهم", "شركات", "طروحات", "اصدارات اوليه", "اكتتابات", "سوق نمو",
                       "سوق موازيه")),
    (FundType.REAL_ESTATE, ("عقار", "عقاري", "عقاريه", "ريت", "سكني", "سكنيه", "فندقي",
                            "فلل")),
)

_TYPE_PATTERNS = tuple((fund_type, tuple(_keyword_pattern(k) for k in keywords))
                       for fund_type, keywords in TYPE_KEYWORDS)


def fund_type_from_name(name: str) -> FundType:
    """The type an Arabic fund name makes evident, UNSPECIFIED where it makes none."""
    text = normalise_arabic(name)
    for fund_type, patterns in _TYPE_PATTERNS:
        if any(pattern.search(text) for pattern in patterns):
            return fund_type
    return FundType.UNSPECIFIED


# --- currency ----------------------------------------------------------------------------

_CURRENCY_PATTERNS = (
    ("USD", _keyword_pattern("دولار")),
    ("EUR", _keyword_pattern("يورو")),
    ("GBP", _keyword_pattern("جنيه")),
)


def currency_from_name(name: str) -> str:
    """The ISO 4217 code of the share class the name names; SAR when it names none."""
    text = normalise_arabic(name)
    for code, pattern in _CURRENCY_PATTERNS:
        if pattern.search(text):
            return code
    return "SAR"


# --- synthetic NAV history ---------------------------------------------------------------

NAV_QUANTUM = Decimal("0.0001")  # NAVs are published to 4 decimal places


@dataclass(frozen=True)
class SyntheticNavModel:
    annual_volatility: float  # fraction: 0.18 is 18 % a year
    annual_return: float  # fraction, compounded


# Assumed typical figures per type, used where the snapshot gives nothing plausible.
# Returns: Saudi money-market rates near 5 % in 2023-2025; long-run equity about 8 %.
_MODELS = {
    FundType.MONEY_MARKET: SyntheticNavModel(0.005, 0.05),
    FundType.FIXED_INCOME: SyntheticNavModel(0.03, 0.045),
    FundType.MULTI_ASSET: SyntheticNavModel(0.08, 0.06),
    FundType.EQUITY: SyntheticNavModel(0.18, 0.08),
    FundType.INDEX: SyntheticNavModel(0.18, 0.08),
    FundType.REAL_ESTATE: SyntheticNavModel(0.12, 0.05),
    FundType.FUND_OF_FUNDS: SyntheticNavModel(0.10, 0.06),
    FundType.COMMODITY: SyntheticNavModel(0.15, 0.05),
    FundType.UNSPECIFIED: SyntheticNavModel(0.10, 0.06),
}

# The snapshot's standard_deviation is an annualised percentage (money-market funds 0.1-0.5,
# Saudi equity funds 15-30), but some rows hold 0, NaN or nonsense (496, 1.5e9, a murabaha
# fund at 20). A figure above its type's ceiling, or not above 0, gives way to the type's.
_PLAUSIBLE_STDEV_PERCENT = {FundType.MONEY_MARKET: Decimal(2), FundType.FIXED_INCOME: Decimal(15)}
_PLAUSIBLE_STDEV_PERCENT_OTHERWISE = Decimal(80)


def synthetic_nav_model(fund_type: FundType,
                        snapshot_stdev_percent: Decimal | None = None) -> SyntheticNavModel:
    """The walk's parameters: the type's typical return, and the fund's published
    volatility where it is plausible for its type, else the type's typical volatility."""
    model = _MODELS[fund_type]
    ceiling = _PLAUSIBLE_STDEV_PERCENT.get(fund_type, _PLAUSIBLE_STDEV_PERCENT_OTHERWISE)
    if snapshot_stdev_percent is not None and snapshot_stdev_percent.is_finite() \
            and 0 < snapshot_stdev_percent <= ceiling:
        return SyntheticNavModel(float(snapshot_stdev_percent / 100), model.annual_return)
    return model


def is_valuation_day(day: date) -> bool:
    """Tadawul's trading days where its calendar covers them (Sunday-Thursday less exchange
    holidays); Sunday-Thursday outside it, where the holidays are not known."""
    if FIRST_COVERED_DAY <= day <= LAST_COVERED_DAY:
        return is_trading_day(day)
    return day.weekday() not in (4, 5)  # Friday, Saturday


def valuation_days(start: date, end: date) -> list[date]:
    """The valuation days from `start` to `end`, both included."""
    days = []
    day = start
    while day <= end:
        if is_valuation_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _standard_normal(rng: random.Random) -> float:
    # Irwin-Hall (sum of 12 uniforms - 6) instead of `rng.gauss`: only + and `fsum`, which
    # IEEE 754 rounds the same everywhere, whereas gauss goes through the platform's libm
    # and the same seed could give a different history on another machine.
    return math.fsum(rng.random() for _ in range(12)) - 6.0


def synthetic_nav_history(fund_id: str, latest_nav: Decimal, end: date, start: date, *,
                          annual_volatility: float, annual_return: float,
                          seed: int) -> list[tuple[date, Decimal]]:
    """A demo NAV history on every valuation day from `start` to `end`, oldest first, whose
    last point is (`end`, `latest_nav`) exactly.

    A geometric random walk generated backwards from the latest NAV: each earlier NAV is
    the next one divided by exp(mu + sigma * Z), with mu = ln(1 + annual_return) / 250 and
    sigma = annual_volatility / sqrt(250), so the walk forwards grows at about
    `annual_return` a year with `annual_volatility`. Walking backwards means the end is
    met without rescaling, and a longer history only adds older points: the recent ones do
    not change with `start`. The same (fund_id, seed) gives the same history everywhere
    (see `_standard_normal`; ln and exp are taken in Decimal, correctly rounded).
    NAVs are rounded to 4 decimal places and never below 0.0001.
    """
    if latest_nav <= 0:
        raise ValueError(f"latest NAV must be positive, got {latest_nav}")
    if not is_valuation_day(end):
        raise ValueError(f"{end} is not a valuation day")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if annual_volatility < 0 or annual_return <= -1:
        raise ValueError("annual volatility must be >= 0 and annual return > -1")
    days = valuation_days(start, end)
    rng = random.Random(f"{seed}:{fund_id}:nav")
    drift = float((1 + Decimal(repr(annual_return))).ln()) / VALUATION_DAYS_PER_YEAR
    sigma = annual_volatility / math.sqrt(VALUATION_DAYS_PER_YEAR)
    nav = latest_nav
    navs = [latest_nav]
    for _ in range(len(days) - 1):
        nav /= Decimal(drift + sigma * _standard_normal(rng)).exp()
        navs.append(max(nav.quantize(NAV_QUANTUM, rounding=ROUND_HALF_EVEN), NAV_QUANTUM))
    navs.reverse()
    return list(zip(days, navs, strict=True))
