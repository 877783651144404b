"""Stock reports and the daily briefing: the platform's data gathered through its own RPCs,
written by the LLM when one is configured (each section checked against the data, and
replaced by the template's when it quotes figures the data lacks or reads as advice), else
by the deterministic template, and labelled with the engine that wrote it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from server.ai.facts import market_facts, stock_facts
from server.ai.llm import LlmClient, TokenUsage
from server.ai.quota import TokenQuota
from server.ai.tools import Context, PlatformTools
from server.domain.access import Principal
from server.domain.report_facts import Citation, MarketFacts, StockFacts
from server.domain.reports import (
    BRIEFING_SECTION_TITLES,
    DISCLAIMER,
    REPORT_SECTION_TITLES,
    TEMPLATE_AUTHOR,
    ReportText,
    daily_briefing_prompt,
    daily_briefing_template,
    grounded_briefing,
    grounded_report,
    llm_author,
    sections_from_markdown,
    stock_report_prompt,
    stock_report_template,
)

F = TypeVar("F", StockFacts, MarketFacts)

TEMPLATE_ENGINE = "template"
LLM_ENGINE = "llm"
TEMPLATE_VERSION = "deterministic template over the platform's data"


@dataclass(frozen=True)
class WrittenText:
    markdown: str
    sections: tuple[tuple[str, str], ...]
    citations: tuple[Citation, ...]
    disclaimer: str
    engine: str  # LLM_ENGINE or TEMPLATE_ENGINE
    engine_version: str  # the model, or TEMPLATE_VERSION
    as_of: date
    generated_at: datetime
    usage: TokenUsage | None
    # Sections of the LLM's answer replaced by the template's (they are marked in the text).
    substituted: tuple[str, ...] = ()


class ReportWriter:
    def __init__(self, tools: PlatformTools, llm: LlmClient | None, quota: TokenQuota) -> None:
        self._tools = tools
        self._llm = llm
        self._quota = quota

    async def stock_report(self, principal: Principal, symbol: str,
                           context: Context) -> WrittenText:
        facts = await stock_facts(self._tools, symbol, context)
        as_of = facts.closes[-1].day if facts.closes else datetime.now(UTC).date()
        return await self._write(principal, facts, as_of, context, template=stock_report_template,
                                 prompt=stock_report_prompt, titles=REPORT_SECTION_TITLES,
                                 grounded=grounded_report)

    async def daily_briefing(self, principal: Principal, context: Context) -> WrittenText:
        facts = await market_facts(self._tools, context)
        return await self._write(principal, facts, facts.trading_day, context,
                                 template=daily_briefing_template, prompt=daily_briefing_prompt,
                                 titles=BRIEFING_SECTION_TITLES, grounded=grounded_briefing)

    async def _write(self, principal: Principal, facts: F, as_of: date, context: Context, *,
                     template: Callable[[F], ReportText],
                     prompt: Callable[[F], list[dict[str, str]]], titles: Sequence[str],
                     grounded: Callable[[dict[str, str], F], tuple[ReportText, list[str]]],
                     ) -> WrittenText:
        generated_at = datetime.now(UTC)
        if self._llm is None:
            text = template(facts)
            return WrittenText(
                markdown=text.markdown(TEMPLATE_AUTHOR), sections=text.sections,
                citations=text.citations, disclaimer=DISCLAIMER, engine=TEMPLATE_ENGINE,
                engine_version=TEMPLATE_VERSION, as_of=as_of, generated_at=generated_at,
                usage=None)
        await self._quota.check(principal)
        completion = await self._llm.complete(prompt(facts), timeout_s=context.time_remaining())
        await self._quota.record(principal, completion.usage.total)
        text, substituted = grounded(sections_from_markdown(completion.text, titles), facts)
        return WrittenText(
            markdown=text.markdown(llm_author(self._llm.model)), sections=text.sections,
            citations=text.citations, disclaimer=DISCLAIMER, engine=LLM_ENGINE,
            engine_version=self._llm.model, as_of=as_of, generated_at=generated_at,
            usage=completion.usage, substituted=tuple(substituted))
