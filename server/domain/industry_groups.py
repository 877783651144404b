"""The exchange's industry groups, mapped from the reference data.

The company list carries an Arabic sector group for 242 of its rows: those are
the exchange's own industry-group names (Argaam's Arabic spelling) and map
one to one, except the legacy "Petrochemicals" sector, which the exchange
folded into Materials. For the other rows only Yahoo's industry is known; it
is mapped where the Yahoo industry falls in exactly one industry group, and
left unspecified where it could fall in several ("Conglomerates",
"Specialty Business Services" …): never guessed.
"""

from enum import Enum


class IndustryGroup(Enum):
    ENERGY = "energy"
    MATERIALS = "materials"
    CAPITAL_GOODS = "capital_goods"
    COMMERCIAL_AND_PROFESSIONAL_SERVICES = "commercial_and_professional_services"
    TRANSPORTATION = "transportation"
    CONSUMER_DURABLES_AND_APPAREL = "consumer_durables_and_apparel"
    CONSUMER_SERVICES = "consumer_services"
    MEDIA_AND_ENTERTAINMENT = "media_and_entertainment"
    CONSUMER_DISCRETIONARY_DISTRIBUTION_AND_RETAIL = (
        "consumer_discretionary_distribution_and_retail")
    CONSUMER_STAPLES_DISTRIBUTION_AND_RETAIL = "consumer_staples_distribution_and_retail"
    FOOD_AND_BEVERAGES = "food_and_beverages"
    HOUSEHOLD_AND_PERSONAL_PRODUCTS = "household_and_personal_products"
    HEALTH_CARE_EQUIPMENT_AND_SERVICES = "health_care_equipment_and_services"
    PHARMA_BIOTECH_AND_LIFE_SCIENCE = "pharma_biotech_and_life_science"
    BANKS = "banks"
    FINANCIAL_SERVICES = "financial_services"
    INSURANCE = "insurance"
    TELECOMMUNICATION_SERVICES = "telecommunication_services"
    UTILITIES = "utilities"
    REITS = "reits"
    REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT = "real_estate_management_and_development"
    SOFTWARE_AND_SERVICES = "software_and_services"


G = IndustryGroup

_BY_ARABIC_SECTOR: dict[str, IndustryGroup] = {
    "الطاقة": G.ENERGY,
    "المواد الاساسية": G.MATERIALS,
    "البتروكيماويات": G.MATERIALS,
    "المواد الرأسمالية": G.CAPITAL_GOODS,
    "الخدمات التجارية والمهنية": G.COMMERCIAL_AND_PROFESSIONAL_SERVICES,
    "النقل": G.TRANSPORTATION,
    "السلع طويلة الاجل": G.CONSUMER_DURABLES_AND_APPAREL,
    "الخدمات الاستهلاكية": G.CONSUMER_SERVICES,
    "الاعلام والترفيه": G.MEDIA_AND_ENTERTAINMENT,
    "تجزئة وتوزيع السلع الكمالية": G.CONSUMER_DISCRETIONARY_DISTRIBUTION_AND_RETAIL,
    "تجزئة وتوزيع السلع الاستهلاكية": G.CONSUMER_STAPLES_DISTRIBUTION_AND_RETAIL,
    "إنتاج الأغذية": G.FOOD_AND_BEVERAGES,
    "المنتجات المنزلية و الشخصية": G.HOUSEHOLD_AND_PERSONAL_PRODUCTS,
    "الرعاية الصحية": G.HEALTH_CARE_EQUIPMENT_AND_SERVICES,
    "الادوية": G.PHARMA_BIOTECH_AND_LIFE_SCIENCE,
    "البنوك": G.BANKS,
    "الخدمات المالية": G.FINANCIAL_SERVICES,
    "التأمين": G.INSURANCE,
    "الاتصالات": G.TELECOMMUNICATION_SERVICES,
    "المرافق العامة": G.UTILITIES,
    "الصناديق العقارية المتداولة": G.REITS,
    "إدارة وتطوير العقارات": G.REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT,
    "التطبيقات وخدمات التقنية": G.SOFTWARE_AND_SERVICES,
}

# Yahoo industries that belong to exactly one industry group, and on which the
# exchange's own classification never disagrees in the reference data (those
# where it does, e.g. "Marine Shipping" listed under Energy, are left out: a
# test keeps this true).
_BY_YAHOO_INDUSTRY: dict[str, IndustryGroup] = {
    "Oil & Gas Drilling": G.ENERGY,
    "Oil & Gas E&P": G.ENERGY,
    "Oil & Gas Equipment & Services": G.ENERGY,
    "Agricultural Inputs": G.MATERIALS,
    "Building Materials": G.MATERIALS,
    "Chemicals": G.MATERIALS,
    "Specialty Chemicals": G.MATERIALS,
    "Steel": G.MATERIALS,
    "Other Industrial Metals & Mining": G.MATERIALS,
    "Other Precious Metals & Mining": G.MATERIALS,
    "Paper & Paper Products": G.MATERIALS,
    "Packaging & Containers": G.MATERIALS,
    "Electrical Equipment & Parts": G.CAPITAL_GOODS,
    "Engineering & Construction": G.CAPITAL_GOODS,
    "Industrial Distribution": G.CAPITAL_GOODS,
    "Specialty Industrial Machinery": G.CAPITAL_GOODS,
    "Consulting Services": G.COMMERCIAL_AND_PROFESSIONAL_SERVICES,
    "Security & Protection Services": G.COMMERCIAL_AND_PROFESSIONAL_SERVICES,
    "Staffing & Employment Services": G.COMMERCIAL_AND_PROFESSIONAL_SERVICES,
    "Waste Management": G.COMMERCIAL_AND_PROFESSIONAL_SERVICES,
    "Airlines": G.TRANSPORTATION,
    "Railroads": G.TRANSPORTATION,
    "Apparel Manufacturing": G.CONSUMER_DURABLES_AND_APPAREL,
    "Luxury Goods": G.CONSUMER_DURABLES_AND_APPAREL,
    "Textile Manufacturing": G.CONSUMER_DURABLES_AND_APPAREL,
    "Education & Training Services": G.CONSUMER_SERVICES,
    "Leisure": G.CONSUMER_SERVICES,
    "Resorts & Casinos": G.CONSUMER_SERVICES,
    "Restaurants": G.CONSUMER_SERVICES,
    "Travel Services": G.CONSUMER_SERVICES,
    "Advertising Agencies": G.MEDIA_AND_ENTERTAINMENT,
    "Broadcasting": G.MEDIA_AND_ENTERTAINMENT,
    "Entertainment": G.MEDIA_AND_ENTERTAINMENT,
    "Publishing": G.MEDIA_AND_ENTERTAINMENT,
    "Apparel Retail": G.CONSUMER_DISCRETIONARY_DISTRIBUTION_AND_RETAIL,
    "Internet Retail": G.CONSUMER_DISCRETIONARY_DISTRIBUTION_AND_RETAIL,
    "Food Distribution": G.CONSUMER_STAPLES_DISTRIBUTION_AND_RETAIL,
    "Grocery Stores": G.CONSUMER_STAPLES_DISTRIBUTION_AND_RETAIL,
    "Beverages - Non-Alcoholic": G.FOOD_AND_BEVERAGES,
    "Packaged Foods": G.FOOD_AND_BEVERAGES,
    "Household & Personal Products": G.HOUSEHOLD_AND_PERSONAL_PRODUCTS,
    "Medical Care Facilities": G.HEALTH_CARE_EQUIPMENT_AND_SERVICES,
    "Medical Devices": G.HEALTH_CARE_EQUIPMENT_AND_SERVICES,
    "Medical Distribution": G.HEALTH_CARE_EQUIPMENT_AND_SERVICES,
    "Medical Instruments & Supplies": G.HEALTH_CARE_EQUIPMENT_AND_SERVICES,
    "Banks - Regional": G.BANKS,
    "Asset Management": G.FINANCIAL_SERVICES,
    "Capital Markets": G.FINANCIAL_SERVICES,
    "Credit Services": G.FINANCIAL_SERVICES,
    "Mortgage Finance": G.FINANCIAL_SERVICES,
    "Insurance - Diversified": G.INSURANCE,
    "Insurance - Life": G.INSURANCE,
    "Insurance - Property & Casualty": G.INSURANCE,
    "Insurance - Reinsurance": G.INSURANCE,
    "Insurance - Specialty": G.INSURANCE,
    "Insurance Brokers": G.INSURANCE,
    "Utilities - Diversified": G.UTILITIES,
    "Utilities - Regulated Electric": G.UTILITIES,
    "Utilities - Regulated Gas": G.UTILITIES,
    "Utilities - Regulated Water": G.UTILITIES,
    "REIT - Diversified": G.REITS,
    "REIT - Hotel & Motel": G.REITS,
    "REIT - Industrial": G.REITS,
    "REIT - Residential": G.REITS,
    "REIT - Retail": G.REITS,
    "Real Estate - Development": G.REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT,
    "Real Estate - Diversified": G.REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT,
    "Real Estate Services": G.REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT,
    "Information Technology Services": G.SOFTWARE_AND_SERVICES,
    "Software - Application": G.SOFTWARE_AND_SERVICES,
    "Software - Infrastructure": G.SOFTWARE_AND_SERVICES,
}


def industry_group_for(sector_ar: str, yahoo_industry: str) -> IndustryGroup | None:
    """The exchange's industry group, or None when the reference data does not pin it down.

    The Arabic sector wins: it is the exchange's own classification.
    """
    by_sector = _BY_ARABIC_SECTOR.get(sector_ar.strip())
    if by_sector is not None:
        return by_sector
    return _BY_YAHOO_INDUSTRY.get(yahoo_industry.strip())
