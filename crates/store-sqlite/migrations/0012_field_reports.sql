-- Field reporting (issue 13). A report is one visit or round: one or more incidents sent
-- together, with the key the reporter's phone made for it, so that a report sent again
-- after a lost answer is recognised and not stored twice. Incidents know their report and
-- the incident the reporter said they are the same as. Photos are kept re-encoded, without
-- any metadata, next to their incident.
CREATE TABLE reports (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    client_key TEXT,
    -- SHA-256 of what was sent with the key: the same key with another report is refused.
    request_digest TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX reports_client_key ON reports (tenant_id, user_id, client_key)
    WHERE client_key IS NOT NULL;
ALTER TABLE incidents ADD COLUMN report_id INTEGER;
ALTER TABLE incidents ADD COLUMN same_as INTEGER;
CREATE INDEX incidents_report ON incidents (tenant_id, report_id) WHERE report_id IS NOT NULL;

CREATE TABLE photos (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    incident_id INTEGER NOT NULL,
    client_key TEXT,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BLOB NOT NULL,
    user_id INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id)
);
CREATE INDEX photos_incident ON photos (tenant_id, incident_id);
CREATE UNIQUE INDEX photos_client_key ON photos (tenant_id, incident_id, client_key)
    WHERE client_key IS NOT NULL;
INSERT INTO sequences (name, next) VALUES ('reports', 1), ('photos', 1);
