-- API tokens get a lifecycle: an expiry and the time they were last used. Tokens made before
-- this had no expiry; they end 90 days after this migration (security review, finding 3).
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
UPDATE api_tokens SET expires_at = CAST(extract(epoch FROM now()) AS BIGINT) + 7776000;
CREATE INDEX api_tokens_user ON api_tokens (tenant_id, user_id);
