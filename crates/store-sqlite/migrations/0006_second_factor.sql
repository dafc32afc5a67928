-- Second factor (TOTP) per user, and the sign-in stage of a session.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- JSON array of SHA-256 hashes of the unused recovery codes.
ALTER TABLE users ADD COLUMN recovery_hashes TEXT;
-- 'full' (signed in), 'mfa_verify' (password ok, code needed), 'mfa_setup' (password ok,
-- second factor must be set up first).
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full'
    CHECK (stage IN ('full', 'mfa_verify', 'mfa_setup'));
ALTER TABLE sessions ADD COLUMN pending_secret TEXT;
