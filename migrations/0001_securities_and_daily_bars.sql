-- Listed securities and their daily price history.

CREATE TABLE securities (
    symbol         text PRIMARY KEY CHECK (symbol ~ '^[0-9]{4}$'),
    name_en        text NOT NULL,
    name_ar        text NOT NULL DEFAULT '',
    market         text NOT NULL CHECK (market IN ('MAIN', 'NOMU')),
    security_type  text NOT NULL CHECK (security_type IN ('EQUITY', 'REIT', 'ETF')),
    sector         text NOT NULL DEFAULT '',
    industry       text NOT NULL DEFAULT '',
    sector_ar      text NOT NULL DEFAULT '',
    currency       char(3) NOT NULL DEFAULT 'SAR',
    source         text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX securities_market_symbol_idx ON securities (market, symbol);
CREATE INDEX securities_sector_lower_idx ON securities (lower(sector), symbol);

-- Prices as the provider published them (double precision: market data, not money).
CREATE TABLE daily_bars (
    symbol      text NOT NULL REFERENCES securities (symbol) ON DELETE CASCADE,
    trade_date  date NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    adj_close   double precision,
    volume      bigint NOT NULL CHECK (volume >= 0),
    origin      text NOT NULL CHECK (origin IN ('REAL', 'SYNTHETIC')),
    provider    text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol, trade_date),
    CHECK (low <= open AND open <= high AND low <= close AND close <= high)
);

-- Indices (TASI, MT30, …) and their daily levels as published by the exchange.
CREATE TABLE market_indices (
    code     text PRIMARY KEY,
    name_en  text NOT NULL
);

CREATE TABLE index_daily_bars (
    index_code    text NOT NULL REFERENCES market_indices (code) ON DELETE CASCADE,
    trade_date    date NOT NULL,
    open          double precision NOT NULL,
    high          double precision NOT NULL,
    low           double precision NOT NULL,
    close         double precision NOT NULL,
    -- NULL where the exchange's file does not publish the figure for that index.
    volume        bigint CHECK (volume >= 0),
    value_traded  numeric(20, 2),
    trades        bigint,
    -- Recomputed close-to-close in date order; NULL on the first day on record.
    daily_return  double precision,
    provider      text NOT NULL,
    PRIMARY KEY (index_code, trade_date)
);
