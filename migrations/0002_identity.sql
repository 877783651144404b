-- Accounts, sessions, API keys, one-time tokens, the audit trail and the mail outbox.

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    email               text NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash       text NOT NULL,
    role                text NOT NULL CHECK (role IN ('user', 'premium', 'partner', 'admin')),
    is_active           boolean NOT NULL DEFAULT true,
    is_verified         boolean NOT NULL DEFAULT false,
    -- NULL: the tier that goes with the role.
    rate_limit_tier     text CHECK (rate_limit_tier IN ('guest', 'standard', 'premium', 'partner',
                                                         'unlimited')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_login          timestamptz,
    -- Access tokens issued before this instant are refused (role change, reset,
    -- deactivation); NULL: none refused.
    tokens_valid_after  timestamptz
);

CREATE INDEX users_created_idx ON users (created_at DESC, id DESC);
CREATE INDEX users_role_idx ON users (role, created_at DESC);

-- Refresh tokens: single use; a family is one login session and its rotations.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    prefix        text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    request_id    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    UNIQUE (user_id, request_id)
);

CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC, id DESC);

-- Password-reset and email-verification tokens, stored hashed, single use.
CREATE TABLE password_reset_tokens (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE email_verification_tokens (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    actor_user_id   uuid,
    action          text NOT NULL,
    target          text NOT NULL DEFAULT '',
    source_address  text NOT NULL DEFAULT '',
    outcome         text NOT NULL CHECK (outcome IN ('success', 'failure')),
    detail          text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_recent_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);

-- Mail kept here when no SMTP server is configured (and as a record when one is).
CREATE TABLE outbox_messages (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    recipient   text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL,
    sent_at     timestamptz
);

CREATE INDEX outbox_recipient_idx ON outbox_messages (recipient, id DESC);
