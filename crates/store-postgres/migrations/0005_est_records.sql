-- The EST loop's own records: hot spot cases and their visits, meetings, medborgarlöften and
-- their activities, schools' mobilisation lists. Few (tens to hundreds a year per
-- municipality), nested and read whole, so one table keeps them as validated JSON documents
-- (the shapes are model::est's, checked on the way in and out), by kind and parent.
CREATE TABLE est_records (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('case', 'visit', 'meeting', 'promise', 'activity', 'mobilisation')),
    parent_id BIGINT,
    data TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES est_records (tenant_id, id)
);
CREATE INDEX est_records_kind ON est_records (tenant_id, kind, parent_id);
INSERT INTO sequences (name, next) VALUES ('est_records', 1);
-- An action can come from a case, a meeting's decision or focus area, or a promise activity.
ALTER TABLE actions ADD COLUMN record_id BIGINT;
