-- The AI engine: stored (and scored) news, conversations with the assistant, and each
-- user's LLM token use per day.

-- News as it is stored: scored by the sentiment engine in the same transaction, so a
-- stored item always carries its sentiment and the engine that gave it.
CREATE TABLE news_items (
    id                bigserial PRIMARY KEY,
    symbol            text NOT NULL REFERENCES securities (symbol),
    headline          text NOT NULL,
    published_at      timestamptz NOT NULL,
    data_origin       text NOT NULL CHECK (data_origin IN ('real', 'synthetic')),
    sentiment_label   text NOT NULL CHECK (sentiment_label IN ('positive', 'negative', 'neutral')),
    -- P(label) for each of positive, negative, neutral.
    sentiment_scores  jsonb NOT NULL,
    sentiment_engine  text NOT NULL,
    stored_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (symbol, published_at, headline)
);

CREATE INDEX news_items_published_idx ON news_items (published_at DESC, id DESC);
CREATE INDEX news_items_symbol_published_idx ON news_items (symbol, published_at DESC, id DESC);

-- The Asia/Riyadh days whose synthetic news has been stored (each is stored once).
CREATE TABLE news_days (
    day        date PRIMARY KEY,
    stored_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ai_conversations (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ai_conversations_user_updated_idx ON ai_conversations (user_id, updated_at DESC, id DESC);

-- Each message as the LLM saw it (`payload`, OpenAI chat format, replayed on the next
-- turn) beside what the caller is shown.
CREATE TABLE ai_messages (
    id               bigserial PRIMARY KEY,
    conversation_id  uuid NOT NULL REFERENCES ai_conversations (id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content          text NOT NULL,
    tool_name        text NOT NULL DEFAULT '',
    payload          jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ai_messages_conversation_idx ON ai_messages (conversation_id, id);

-- LLM tokens per user per Asia/Riyadh day, against the tier's daily quota.
CREATE TABLE ai_token_usage (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day      date NOT NULL,
    tokens   bigint NOT NULL CHECK (tokens >= 0),
    PRIMARY KEY (user_id, day)
);
