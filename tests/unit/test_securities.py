"""server.domain.securities.classify: market and security type from code and sector."""

import pytest

from server.domain.securities import REIT_SECTOR_AR, Market, SecurityType, classify

REIT_AR = "الصناديق العقارية المتداولة"  # "Traded real-estate funds", typed out independently


def test_reit_sector_constant_is_the_arabic_name():
    assert REIT_SECTOR_AR == REIT_AR


@pytest.mark.parametrize(
    ("symbol", "sector_ar", "expected"),
    [
        ("2222", "الطاقة", (Market.MAIN, SecurityType.EQUITY)),
        ("2222", "", (Market.MAIN, SecurityType.EQUITY)),
        ("1120", "البنوك", (Market.MAIN, SecurityType.EQUITY)),
        ("9405", "", (Market.MAIN, SecurityType.ETF)),
        ("9400", "", (Market.MAIN, SecurityType.ETF)),
        ("9499", "", (Market.MAIN, SecurityType.ETF)),
        ("9510", "", (Market.NOMU, SecurityType.EQUITY)),
        ("9500", "", (Market.NOMU, SecurityType.EQUITY)),
        ("9699", "", (Market.NOMU, SecurityType.EQUITY)),
        ("9700", "", (Market.MAIN, SecurityType.EQUITY)),
        ("4330", "", (Market.MAIN, SecurityType.REIT)),
        ("4349", "", (Market.MAIN, SecurityType.REIT)),
        ("4329", "", (Market.MAIN, SecurityType.EQUITY)),
        ("4350", "", (Market.MAIN, SecurityType.EQUITY)),
        # REIT by its Arabic sector name outside the 4330-4349 block
        ("4350", REIT_AR, (Market.MAIN, SecurityType.REIT)),
        ("4350", f"  {REIT_AR} ", (Market.MAIN, SecurityType.REIT)),
        # a Nomu code with the REIT sector: Nomu market, REIT type
        ("9600", REIT_AR, (Market.NOMU, SecurityType.REIT)),
        # the ETF range wins over the sector name
        ("9405", REIT_AR, (Market.MAIN, SecurityType.ETF)),
    ],
)
def test_classify(symbol, sector_ar, expected):
    assert classify(symbol, sector_ar) == expected
