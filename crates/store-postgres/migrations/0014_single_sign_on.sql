-- Single sign-on for staff with OpenID Connect (issue 15): each tenant's provider as its
-- administrator configured it (the client secret sealed with the deployment key, as the
-- second factor's secrets are), the sign-ins under way (kept in the store so that the
-- provider may send the browser back to any server behind the address), and which of the
-- provider's subjects is which user.
CREATE TABLE sso_providers (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants (id),
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    -- The claim whose values say the role, and which value gives which role (JSON pairs).
    role_claim TEXT NOT NULL,
    role_map TEXT NOT NULL,
    -- The claim whose value says the organisation, and which value is which (JSON pairs).
    org_claim TEXT NOT NULL,
    org_map TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE sso_logins (
    -- SHA-256 of the state sent to the provider: the state itself is never stored.
    state_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    nonce TEXT NOT NULL,
    -- The PKCE verifier, sealed.
    verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sso_logins_created ON sso_logins (created_at);
CREATE TABLE user_identities (
    tenant_id BIGINT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, issuer, subject),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
