"""Parse and validate Stooq daily CSV downloads (Date, Open, High, Low, Close, Volume,
sometimes OpenInt).

Stooq publishes split-adjusted prices and no dividend-adjusted close, so bars from
its files carry no adjusted close. OpenInt (open interest) means nothing for shares
and is ignored. Every other rule — whole file checked first, line numbers, price
consistency, whole non-negative volumes, no repeated dates, holiday fillers
skipped and counted, prices rounded to 4 decimals — is the Yahoo parser's.
"""

from server.ingest.yahoo_csv import DailyCsvLayout, ParsedDailyFile, parse_daily_csv

PROVIDER = "Stooq"
STOOQ_LAYOUT = DailyCsvLayout(name="Stooq daily CSV", adj_close_column=None)


def parse_stooq_daily_csv(text: str, symbol: str) -> ParsedDailyFile:
    return parse_daily_csv(text, symbol, STOOQ_LAYOUT)
