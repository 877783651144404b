"""Listed securities and how the reference data classifies them."""

from dataclasses import dataclass
from datetime import date
from enum import Enum

from server.domain.industry_groups import IndustryGroup


class Market(Enum):
    MAIN = "MAIN"
    NOMU = "NOMU"


class SecurityType(Enum):
    EQUITY = "EQUITY"
    REIT = "REIT"
    ETF = "ETF"


@dataclass(frozen=True)
class Security:
    symbol: str
    name_en: str
    name_ar: str
    market: Market
    security_type: SecurityType
    sector: str
    industry: str
    sector_ar: str
    currency: str
    has_price_history: bool = False
    industry_group: IndustryGroup | None = None
    isin: str | None = None
    listing_date: date | None = None
    # "REAL", "SYNTHETIC" or "MIXED" over the security's daily bars; None without bars.
    price_origin: str | None = None


# Tadawul code ranges: 9400–9499 are exchange-traded funds, 9500–9699 Nomu
# (Parallel Market) companies; listed REITs are mostly 4330–4349 and carry the
# Arabic sector name below, or a Yahoo industry starting "REIT" (9300 Alwaha).
_ETF_CODES = range(9400, 9500)
_NOMU_CODES = range(9500, 9700)
_REIT_CODES = range(4330, 4350)
REIT_SECTOR_AR = "الصناديق العقارية المتداولة"


def classify(symbol: str, sector_ar: str, industry: str = "") -> tuple[Market, SecurityType]:
    code = int(symbol)
    market = Market.NOMU if code in _NOMU_CODES else Market.MAIN
    if code in _ETF_CODES:
        return market, SecurityType.ETF
    if (code in _REIT_CODES or sector_ar.strip() == REIT_SECTOR_AR
            or industry.strip().upper().startswith("REIT")):
        return market, SecurityType.REIT
    return market, SecurityType.EQUITY
