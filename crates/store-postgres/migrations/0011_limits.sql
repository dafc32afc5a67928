-- Rate limit events (issue 15): a sign-in failure and the like, per key, in the store so
-- that every server on it counts them together. Transient: pruned after a day, never copied.
CREATE TABLE limit_events (
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX limit_events_key_at ON limit_events (key, at);
CREATE INDEX limit_events_at ON limit_events (at);
