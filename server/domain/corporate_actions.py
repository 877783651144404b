"""Corporate actions: what kind of event each one is, and the announcement as recorded.

The exchange's records name the action type in Arabic. The Arabic text is kept as
published; the type below is our classification of it, for filtering and for the
events that move a share's price on the ex-date.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias


class CorporateActionType(StrEnum):
    CASH_DIVIDEND = "CASH_DIVIDEND"
    BONUS_SHARES = "BONUS_SHARES"
    # Splits and consolidations (reverse splits) alike: the share count changes by a
    # ratio and the capital does not.
    SPLIT = "SPLIT"
    RIGHTS_ISSUE = "RIGHTS_ISSUE"
    CAPITAL_REDUCTION = "CAPITAL_REDUCTION"
    OTHER = "OTHER"


# Every Arabic action type in the shipped file (server/ingest/data/corporate_actions.tsv),
# with its classification. Only events that change the shares a holder owns, or pay
# them, get a type of their own; the rest is OTHER. A type not listed here is OTHER
# too, and the importer names it so that someone can classify it.
ACTION_TYPES_AR: dict[str, CorporateActionType] = {
    # Cash dividends.
    "توزيع أرباح نقدية": CorporateActionType.CASH_DIVIDEND,
    # Bonus shares, whether from treasury stock or from capitalised profits.
    "توزيع أسهم خزينة كأسهم منحة": CorporateActionType.BONUS_SHARES,
    "زيادة رأس مال - توزيع أرباح من خلال أسهم منحة": CorporateActionType.BONUS_SHARES,
    # Split (lower nominal value, more shares) and consolidation (the reverse).
    "تجزئة أسهم": CorporateActionType.SPLIT,
    "تجميع أسهم": CorporateActionType.SPLIT,
    # Rights issue: new shares offered to existing holders pro rata.
    "زيادة رأس مال - إصدار حقوق أولوية": CorporateActionType.RIGHTS_ISSUE,
    # Issued capital reduced, by cancelling shares or by lowering their nominal value.
    "تخفيض رأس مال - بتخفيض عدد الأسهم": CorporateActionType.CAPITAL_REDUCTION,
    "تخفيض رأس مال - بتخفيض قيمة أسمية": CorporateActionType.CAPITAL_REDUCTION,
    # Authorised capital is a ceiling on future issues: raising or lowering it
    # changes no holder's shares, so neither is a capital reduction or increase.
    "تخفيض رأس المال المصرح به": CorporateActionType.OTHER,
    "زيادة رأس المال المصرح به": CorporateActionType.OTHER,
    # Capital raised without an entitlement for existing holders (private
    # placement), or by raising the nominal value of the same shares.
    "زيادة رأس مال - اكتتاب خاص": CorporateActionType.OTHER,
    "زيادة رأس المال - زيادة القيمة الاسمية": CorporateActionType.OTHER,
    # Treasury shares bought or sold in the market.
    "شراء اسهم خزينة": CorporateActionType.OTHER,
    "بيع أسهم خزينة": CorporateActionType.OTHER,
    # Deals: acquisitions, mergers, stakes, disposals, new subsidiaries.
    "استحواذ على شركة": CorporateActionType.OTHER,
    "الإندماج مع شركة": CorporateActionType.OTHER,
    "شراء نسبة من شركة": CorporateActionType.OTHER,
    "زيادة حصة الشركة فى شركة تابعة": CorporateActionType.OTHER,
    "بيع جزء من الشركة": CorporateActionType.OTHER,
    "بيع جزء من شركة تابعة": CorporateActionType.OTHER,
    "بيع شركة تابعة": CorporateActionType.OTHER,
    "تأسيس شركة": CorporateActionType.OTHER,
    # Debt: sukuk issues.
    "اصدار صكوك": CorporateActionType.OTHER,
    # Listing events and company records.
    "إدراج الشركة": CorporateActionType.OTHER,
    "إلغاء الإدراج": CorporateActionType.OTHER,
    # The source spells "to another" with the lam-alef ligature (U+FEF5); kept as is.
    "تحويل الشركة من سوق ﻵخر": CorporateActionType.OTHER,
    "تعديل رمز التداول": CorporateActionType.OTHER,
    "تغيير اسم الشركة": CorporateActionType.OTHER,
    "تغيير نظام الشركة": CorporateActionType.OTHER,
    "تغيير السنة المالية": CorporateActionType.OTHER,
}


# symbol, Arabic action type, announcement date, ex-date, description.
ActionKey: TypeAlias = tuple[str, str, date, date | None, str | None]


def action_type_for(action_type_ar: str) -> CorporateActionType:
    return ACTION_TYPES_AR.get(action_type_ar, CorporateActionType.OTHER)


@dataclass(frozen=True)
class CorporateAction:
    """One announced action; None where the source does not say."""

    symbol: str
    action_type: CorporateActionType
    action_type_ar: str
    announcement_date: date
    ex_date: date | None
    record_date: date | None
    payment_date: date | None
    amount: Decimal | None
    currency: str | None
    description: str | None

    @property
    def key(self) -> ActionKey:
        """What identifies the action across re-imports (the table's unique key).

        The description is part of it: the same company can announce two actions of
        one type on one day (a regular and a special dividend, say).
        """
        return (self.symbol, self.action_type_ar, self.announcement_date, self.ex_date,
                self.description)
