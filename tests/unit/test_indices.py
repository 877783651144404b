"""server.domain.indices.close_to_close_returns."""

import pytest

from server.domain.indices import close_to_close_returns


def test_returns_by_hand():
    returns = close_to_close_returns([100.0, 110.0, 99.0])
    assert returns[0] is None
    assert returns[1:] == [pytest.approx(0.1), pytest.approx(-0.1)]
    assert len(returns) == 3


def test_single_close_has_only_the_none():
    assert close_to_close_returns([42.0]) == [None]


def test_flat_series_has_zero_returns():
    assert close_to_close_returns([5.0, 5.0, 5.0]) == [None, 0.0, 0.0]


def test_returns_compound_back_to_the_last_close():
    closes = [12077.31, 12102.55, 12069.82, 12104.69]
    returns = close_to_close_returns(closes)
    level = closes[0]
    for r in returns[1:]:
        level *= 1 + r
    assert level == pytest.approx(closes[-1], rel=1e-12)
    # 12102.55 / 12077.31 - 1, worked out by hand: 25.24 / 12077.31
    assert returns[1] == pytest.approx(25.24 / 12077.31, rel=1e-9)
