-- The whole market: classification, intraday bars, index membership, and the
-- materialized views behind the market summary, top movers, sectors and screener.

ALTER TABLE securities
    ADD COLUMN industry_group text,
    ADD COLUMN isin text,
    ADD COLUMN listing_date date;

CREATE INDEX securities_industry_group_idx ON securities (industry_group, symbol);

-- Value traded; NULL where the source does not publish it (Yahoo's files), in
-- which case close × volume stands in for it.
ALTER TABLE daily_bars ADD COLUMN turnover double precision;

CREATE TABLE intraday_bars (
    symbol    text NOT NULL REFERENCES securities (symbol) ON DELETE CASCADE,
    bar_time  timestamptz NOT NULL,
    open      double precision NOT NULL,
    high      double precision NOT NULL,
    low       double precision NOT NULL,
    close     double precision NOT NULL,
    volume    bigint NOT NULL CHECK (volume >= 0),
    origin    text NOT NULL CHECK (origin IN ('REAL', 'SYNTHETIC')),
    PRIMARY KEY (symbol, bar_time),
    CHECK (low <= open AND open <= high AND low <= close AND close <= high)
);

CREATE TABLE index_constituents (
    index_code      text NOT NULL REFERENCES market_indices (code) ON DELETE CASCADE,
    symbol          text NOT NULL REFERENCES securities (symbol) ON DELETE CASCADE,
    weight_percent  numeric(9, 6) NOT NULL CHECK (weight_percent > 0),
    PRIMARY KEY (index_code, symbol)
);

ALTER TABLE market_indices
    ADD COLUMN constituents_origin text CHECK (constituents_origin IN ('REAL', 'SYNTHETIC')),
    ADD COLUMN constituents_method text NOT NULL DEFAULT '';

-- One row per security traded on the latest trading day on record.
CREATE MATERIALIZED VIEW mv_top_movers AS
WITH latest AS (SELECT max(trade_date) AS trading_day FROM daily_bars)
SELECT b.symbol,
       s.name_en,
       s.market,
       s.industry_group,
       latest.trading_day,
       b.close,
       previous.close AS previous_close,
       CASE WHEN previous.close > 0 THEN (b.close / previous.close - 1) * 100 END
           AS change_percent,
       b.volume,
       coalesce(b.turnover, b.close * b.volume) AS turnover,
       b.origin
FROM latest
JOIN daily_bars b ON b.trade_date = latest.trading_day
JOIN securities s ON s.symbol = b.symbol
LEFT JOIN LATERAL (
    SELECT p.close FROM daily_bars p
    WHERE p.symbol = b.symbol AND p.trade_date < b.trade_date
    ORDER BY p.trade_date DESC LIMIT 1
) previous ON true
WITH DATA;

CREATE UNIQUE INDEX mv_top_movers_symbol_idx ON mv_top_movers (symbol);
CREATE INDEX mv_top_movers_change_idx ON mv_top_movers (change_percent);
CREATE INDEX mv_top_movers_volume_idx ON mv_top_movers (volume);
CREATE INDEX mv_top_movers_turnover_idx ON mv_top_movers (turnover);

-- Breadth and activity per market on that day (refreshed after mv_top_movers).
CREATE MATERIALIZED VIEW mv_market_summary AS
SELECT market,
       trading_day,
       count(*) FILTER (WHERE change_percent > 0) AS advancers,
       count(*) FILTER (WHERE change_percent < 0) AS decliners,
       count(*) FILTER (WHERE change_percent = 0) AS unchanged,
       sum(volume)::bigint AS volume,
       sum(turnover) AS turnover,
       bool_or(origin = 'SYNTHETIC') AS any_synthetic,
       bool_or(origin = 'REAL') AS any_real
FROM mv_top_movers
GROUP BY market, trading_day
WITH DATA;

CREATE UNIQUE INDEX mv_market_summary_market_idx ON mv_market_summary (market);
