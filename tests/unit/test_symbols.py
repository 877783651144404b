"""server.domain.symbols: parse_symbol / require_symbol."""

import pytest

from server.domain.errors import FieldViolation, InvalidArgumentError
from server.domain.symbols import parse_symbol, require_symbol


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2222", "2222"),
        ("2222.SR", "2222"),
        ("2222.sr", "2222"),
        ("2222.Sr", "2222"),
        (" 2222 ", "2222"),
        ("\t1120.SR\n", "1120"),
        ("0001", "0001"),
    ],
)
def test_parse_symbol_accepts_codes_and_yahoo_alias(raw, expected):
    assert parse_symbol(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["222", "22222", "ABCD", "2222.XX", "", "   ", "2222.", "2222SR", "2222 .SR", ".SR",
     "2222.SR.SR", "22 22", "+222", "-222", "2222.SA"],
)
def test_parse_symbol_rejects_non_tadawul_codes(raw):
    assert parse_symbol(raw) is None


@pytest.mark.parametrize("raw", ["٢٢٢٢", "٢٢٢٢.SR", "２２２２", "۲۲۲۲"])
def test_parse_symbol_never_returns_non_ascii_digits(raw):
    result = parse_symbol(raw)
    # Either refused, or normalised to the ASCII code "2222" - never echoed back as is.
    assert result is None or result == "2222"


def test_require_symbol_returns_canonical_code():
    assert require_symbol("2222.SR") == "2222"
    assert require_symbol(" 1120 ") == "1120"


@pytest.mark.parametrize("raw", ["222", "ABCD", "2222.XX"])
def test_require_symbol_rejects_with_field_violation_on_symbol(raw):
    with pytest.raises(InvalidArgumentError) as caught:
        require_symbol(raw)
    violations = caught.value.violations
    assert len(violations) == 1
    assert isinstance(violations[0], FieldViolation)
    assert violations[0].field == "symbol"
    assert repr(raw) in violations[0].description
    assert "4 digits" in violations[0].description


@pytest.mark.parametrize("raw", ["", "   "])
def test_require_symbol_empty_is_required(raw):
    with pytest.raises(InvalidArgumentError) as caught:
        require_symbol(raw)
    assert caught.value.violations == [FieldViolation("symbol", "is required")]


def test_require_symbol_uses_custom_field_name():
    with pytest.raises(InvalidArgumentError) as caught:
        require_symbol("XYZ", field="holdings[2].symbol")
    assert [v.field for v in caught.value.violations] == ["holdings[2].symbol"]
    with pytest.raises(InvalidArgumentError) as caught:
        require_symbol("", field="benchmark")
    assert caught.value.violations == [FieldViolation("benchmark", "is required")]


def test_require_symbol_truncates_long_input_in_message():
    raw = "9" * 100
    with pytest.raises(InvalidArgumentError) as caught:
        require_symbol(raw)
    description = caught.value.violations[0].description
    assert repr("9" * 32) in description
    assert "9" * 33 not in description
