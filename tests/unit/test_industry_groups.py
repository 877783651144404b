"""Industry groups: the exchange's Arabic sector names win; Yahoo industries only where safe."""

import csv

import pytest

from server.domain import industry_groups
from server.domain.industry_groups import IndustryGroup, industry_group_for
from server.ingest.reference import COMPANIES_FILE

ROWS = list(csv.DictReader(COMPANIES_FILE.open()))


@pytest.mark.parametrize(("sector_ar", "industry", "expected"), [
    ("البنوك", "Banks - Regional", IndustryGroup.BANKS),
    ("الطاقة", "Marine Shipping", IndustryGroup.ENERGY),  # Bahri: the exchange says Energy
    ("البتروكيماويات", "Chemicals", IndustryGroup.MATERIALS),
    ("", "Insurance - Life", IndustryGroup.INSURANCE),
    ("", "Conglomerates", None),  # could be several groups: not guessed
    ("", "Marine Shipping", None),  # Yahoo and the exchange disagree on it: not used
    ("", "", None),
])
def test_mapping(sector_ar: str, industry: str, expected: IndustryGroup | None) -> None:
    assert industry_group_for(sector_ar, industry) is expected


def test_every_arabic_sector_in_the_data_is_mapped() -> None:
    unmapped = {r["sector_ar"] for r in ROWS
                if r["sector_ar"] and industry_group_for(r["sector_ar"], "") is None}
    assert unmapped == set()


def test_yahoo_fallback_never_contradicts_the_exchange_in_the_data() -> None:
    contradictions = [
        (r["symbol"], r["industry_en_yahoo"]) for r in ROWS
        if r["sector_ar"]
        and industry_group_for("", r["industry_en_yahoo"]) not in
        (None, industry_group_for(r["sector_ar"], ""))
    ]
    assert contradictions == []


def test_coverage_of_the_company_list() -> None:
    mapped = [r for r in ROWS if industry_group_for(r["sector_ar"], r["industry_en_yahoo"])]
    # All 242 rows with an Arabic sector, and most of the rest.
    assert len(mapped) >= 242
    assert len(industry_groups.IndustryGroup) == 22
