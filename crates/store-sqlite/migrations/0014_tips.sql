-- Citizen tips (trygghetstips) and Open311 service requests (issue 14): a report from the
-- public that waits in the coordinator's moderation queue until it is accepted as an
-- incident, merged into one already reported, or rejected with a reason. The tipster's
-- receipt is a secret link, kept as its SHA-256; `token` is the Open311 token, not secret.
CREATE TABLE tips (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    receipt_hash TEXT NOT NULL,
    token TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('web', 'open311')),
    category_code TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    place_text TEXT NOT NULL DEFAULT '',
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    occurred_at BIGINT,
    email TEXT,
    -- The Open311 key it came with.
    partner_id BIGINT,
    -- Personal identity numbers, phone numbers and e-mail addresses removed from its text.
    redacted BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'accepted', 'merged', 'rejected')),
    incident_id BIGINT,
    public_answer TEXT NOT NULL DEFAULT '',
    internal_note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    moderated_by BIGINT,
    moderated_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, category_code) REFERENCES categories (tenant_id, code)
);
CREATE UNIQUE INDEX tips_receipt ON tips (receipt_hash);
CREATE UNIQUE INDEX tips_token ON tips (tenant_id, token);
CREATE INDEX tips_queue ON tips (tenant_id, status, id);

-- A partner system's Open311 API key, made and revoked by the coordinator; its SHA-256 kept.
CREATE TABLE open311_keys (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    label TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX open311_keys_hash ON open311_keys (key_hash);

INSERT INTO sequences (name, next) VALUES ('tips', 1), ('open311_keys', 1);
