-- Mutual funds and their NAV histories.

CREATE TABLE funds (
    id                  text PRIMARY KEY,
    name_ar             text NOT NULL,
    manager             text NOT NULL,
    -- Derived from the name where it is evident (server/domain/funds.py); else UNSPECIFIED.
    type                text NOT NULL,
    currency            text NOT NULL CHECK (currency IN ('SAR', 'USD', 'EUR', 'GBP')),
    -- NULL for the funds the snapshot lists with a NAV of 0 (closed or liquidated: most
    -- show a YTD return of -100%): no NAV, no history.
    latest_nav          numeric(20, 4) CHECK (latest_nav > 0),
    nav_date            date NOT NULL,
    -- As published with the latest NAV (percent); NULL where the source has none.
    published_ytd_return numeric(12, 4),
    source              text NOT NULL,
    imported_at         timestamptz NOT NULL DEFAULT now()
);

-- ListFunds filters.
CREATE INDEX funds_manager_idx ON funds (manager, id);
CREATE INDEX funds_type_idx ON funds (type, id);

CREATE TABLE fund_navs (
    fund_id   text NOT NULL REFERENCES funds (id) ON DELETE CASCADE,
    nav_date  date NOT NULL,
    nav       numeric(20, 4) NOT NULL CHECK (nav > 0),
    origin    text NOT NULL CHECK (origin IN ('REAL', 'SYNTHETIC')),
    PRIMARY KEY (fund_id, nav_date)
);
