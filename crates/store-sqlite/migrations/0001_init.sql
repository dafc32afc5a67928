-- Lägesbild, embedded SQLite schema, version 1.
-- Every table of tenant data has tenant_id first in its primary key (see ARCHITECTURE.md).
-- Times are INTEGER seconds since 1970-01-01 UTC.

CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    next INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO sequences (name, next) VALUES
    ('tenants', 1), ('organisations', 1), ('users', 1), ('places', 1), ('incidents', 1);

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    outline_geojson TEXT NOT NULL,
    default_visibility TEXT NOT NULL DEFAULT 'all_partners',
    map_style_url TEXT
);

CREATE TABLE organisations (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE users (
    tenant_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    org_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, org_id) REFERENCES organisations (tenant_id, id)
);
-- Login is by e-mail alone, so an address is unique in the whole deployment.
CREATE UNIQUE INDEX users_email ON users (email);

-- Sessions and API tokens are found by the hash of their secret before the tenant is known.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE categories (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    code TEXT NOT NULL,
    parent_code TEXT,
    name_sv TEXT NOT NULL,
    name_en TEXT NOT NULL,
    color TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    retired INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, code)
) WITHOUT ROWID;

CREATE TABLE places (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('area', 'point')),
    is_school INTEGER NOT NULL DEFAULT 0,
    geometry_geojson TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    is_demo INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE incidents (
    tenant_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    category_code TEXT NOT NULL,
    occurred_from INTEGER NOT NULL,
    occurred_to INTEGER NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    e REAL NOT NULL,
    n REAL NOT NULL,
    precision TEXT NOT NULL,
    place_id INTEGER,
    place_text TEXT,
    municipality_code TEXT,
    description TEXT NOT NULL,
    school_id INTEGER,
    persons_involved INTEGER,
    visibility TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    source TEXT NOT NULL,
    external_id TEXT,
    external_url TEXT,
    org_id INTEGER NOT NULL,
    user_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, category_code) REFERENCES categories (tenant_id, code),
    FOREIGN KEY (tenant_id, org_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, place_id) REFERENCES places (tenant_id, id),
    FOREIGN KEY (tenant_id, school_id) REFERENCES places (tenant_id, id)
);
-- Time order, covering what maps and analyses read (incident_points): a time window of
-- 100,000 points is read from this index alone, without visiting the table.
CREATE INDEX incidents_time ON incidents (tenant_id, occurred_from, id, category_code, occurred_to,
    lon, lat, e, n, precision, status, municipality_code, visibility, org_id, user_id);
CREATE INDEX incidents_category_time ON incidents (tenant_id, category_code, occurred_from);
CREATE UNIQUE INDEX incidents_external ON incidents (tenant_id, source, external_id)
    WHERE external_id IS NOT NULL;

-- Which areas contain an incident's point (computed when it is stored).
CREATE TABLE incident_areas (
    tenant_id INTEGER NOT NULL,
    area_id INTEGER NOT NULL,
    incident_id INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, area_id, incident_id),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES places (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE incident_status_log (
    tenant_id INTEGER NOT NULL,
    incident_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    user_id INTEGER,
    from_status TEXT,
    to_status TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, incident_id, seq),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id)
) WITHOUT ROWID;
