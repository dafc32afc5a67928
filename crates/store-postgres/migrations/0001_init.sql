-- Lägesbild, PostgreSQL + PostGIS schema, version 1 (the SQLite schema's migrations 1–6 in one).
-- Every table of tenant data has tenant_id first in its primary key, and every query filters
-- on it, so the schema can be distributed by tenant (see ARCHITECTURE.md).
-- Times are BIGINT seconds since 1970-01-01 UTC, as in the embedded store; flags are BIGINT
-- 0/1, so both backends read the same values. Text that is sorted uses the "C" collation
-- (byte order of UTF-8, as SQLite): both backends sort alike, whatever the server's locale.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);
INSERT INTO sequences (name, next) VALUES
    ('tenants', 1), ('organisations', 1), ('users', 1), ('places', 1), ('incidents', 1);

CREATE TABLE tenants (
    id BIGINT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    outline_geojson TEXT NOT NULL,
    default_visibility TEXT NOT NULL DEFAULT 'all_partners',
    map_style_url TEXT,
    retention_action TEXT NOT NULL DEFAULT 'anonymise'
        CHECK (retention_action IN ('anonymise', 'delete')),
    reporter_view TEXT NOT NULL DEFAULT 'map' CHECK (reporter_view IN ('own', 'map', 'shared'))
);

CREATE TABLE organisations (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE users (
    tenant_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    totp_secret TEXT,
    totp_last_step BIGINT,
    -- JSON array of SHA-256 hashes of the unused recovery codes.
    recovery_hashes TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, org_id) REFERENCES organisations (tenant_id, id)
);
-- Login is by e-mail alone, so an address is unique in the whole deployment.
CREATE UNIQUE INDEX users_email ON users (email);

-- Sessions and API tokens are found by the hash of their secret before the tenant is known.
-- Sessions live in the database, so any serve process can answer any request.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT 'full' CHECK (stage IN ('full', 'mfa_verify', 'mfa_setup')),
    pending_secret TEXT,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE categories (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    code TEXT COLLATE "C" NOT NULL,
    parent_code TEXT,
    name_sv TEXT NOT NULL,
    name_en TEXT NOT NULL,
    color TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    retired BIGINT NOT NULL DEFAULT 0,
    retention_months BIGINT,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE places (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('area', 'point')),
    is_school BIGINT NOT NULL DEFAULT 0,
    geometry_geojson TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    is_demo BIGINT NOT NULL DEFAULT 0,
    -- The shape in SWEREF 99 TM, for area statistics done by PostGIS.
    geom geometry(Geometry, 3006),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX places_geom ON places USING gist (geom);

CREATE TABLE incidents (
    tenant_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    category_code TEXT COLLATE "C" NOT NULL,
    occurred_from BIGINT NOT NULL,
    occurred_to BIGINT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    e DOUBLE PRECISION NOT NULL,
    n DOUBLE PRECISION NOT NULL,
    precision TEXT NOT NULL,
    place_id BIGINT,
    place_text TEXT,
    municipality_code TEXT,
    description TEXT NOT NULL,
    school_id BIGINT,
    persons_involved BIGINT,
    visibility TEXT NOT NULL,
    status TEXT COLLATE "C" NOT NULL DEFAULT 'new',
    source TEXT NOT NULL,
    external_id TEXT,
    external_url TEXT,
    org_id BIGINT NOT NULL,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    anonymised_at BIGINT,
    -- The point in SWEREF 99 TM (metres) and WGS84, kept by PostGIS from e, n and lon, lat.
    geom geometry(Point, 3006) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(e, n), 3006)) STORED,
    geom_wgs84 geometry(Point, 4326)
        GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, category_code) REFERENCES categories (tenant_id, code),
    FOREIGN KEY (tenant_id, org_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, place_id) REFERENCES places (tenant_id, id),
    FOREIGN KEY (tenant_id, school_id) REFERENCES places (tenant_id, id)
);
-- Time order, covering what maps and analyses read (incident_points).
CREATE INDEX incidents_time ON incidents (tenant_id, occurred_from, id)
    INCLUDE (category_code, occurred_to, lon, lat, e, n, precision, status, municipality_code,
             visibility, org_id, user_id);
CREATE INDEX incidents_category_time ON incidents (tenant_id, category_code, occurred_from);
CREATE UNIQUE INDEX incidents_external ON incidents (tenant_id, source, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX incidents_geom ON incidents USING gist (geom);
CREATE INDEX incidents_geom_wgs84 ON incidents USING gist (geom_wgs84);

-- Which areas contain an incident's point (computed when it is stored).
CREATE TABLE incident_areas (
    tenant_id BIGINT NOT NULL,
    area_id BIGINT NOT NULL,
    incident_id BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, area_id, incident_id),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES places (tenant_id, id)
);

CREATE TABLE incident_status_log (
    tenant_id BIGINT NOT NULL,
    incident_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    user_id BIGINT,
    from_status TEXT,
    to_status TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, incident_id, seq),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id)
);

-- Audit trail: append-only, hash-chained per tenant (see store::audit).
CREATE TABLE audit_log (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    user_id BIGINT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
