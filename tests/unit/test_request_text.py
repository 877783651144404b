"""server.interceptors.request_text: NUL in any string field of a request is refused."""

import pytest

from financehub.v1 import ai_pb2, backtests_pb2, charts_pb2, funds_pb2
from server.domain.errors import InvalidArgumentError
from server.interceptors.request_text import nul_fields, refuse_nul_text


def test_clean_requests_pass() -> None:
    refuse_nul_text(funds_pb2.ListFundsRequest(manager="Al Rajhi Capital", currency="SAR"))
    refuse_nul_text(ai_pb2.AnalyzeSentimentRequest(texts=["أرباح", "\u200fok"]))
    refuse_nul_text(charts_pb2.GetBarsRequest())


def test_every_field_holding_nul_is_named_by_its_path() -> None:
    rule = backtests_pb2.Condition()
    rule.left.indicator.line = "up\x00per"
    request = backtests_pb2.RunBacktestRequest(symbol="2222\x00")
    request.strategy.rules.entry.conditions.append(rule)
    assert list(nul_fields(request)) == [
        "symbol", "strategy.rules.entry.conditions[0].left.indicator.line"]
    assert list(nul_fields(ai_pb2.AnalyzeSentimentRequest(texts=["a", "\x00", "b\x00"]))) == [
        "texts[1]", "texts[2]"]


def test_nul_is_refused_as_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        refuse_nul_text(funds_pb2.ListFundsRequest(manager="a\x00b"))
    assert [v.field for v in refused.value.violations] == ["manager"]
    assert "NUL" in refused.value.violations[0].description
