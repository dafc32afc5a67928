-- Actions (åtgärder): what is done about a problem, which organisation and person own it, by
-- when, and how it ended (EST: plan, own, follow up).
CREATE TABLE actions (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_org_id BIGINT NOT NULL,
    owner_user_id BIGINT,
    area_id BIGINT,
    -- For the effect evaluation: an area around the treated one, and one to compare with.
    buffer_area_id BIGINT,
    control_area_id BIGINT,
    -- The civil date it is due, YYYY-MM-DD (Europe/Stockholm).
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    closing_note TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_org_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, area_id) REFERENCES places (tenant_id, id),
    FOREIGN KEY (tenant_id, buffer_area_id) REFERENCES places (tenant_id, id),
    FOREIGN KEY (tenant_id, control_area_id) REFERENCES places (tenant_id, id)
);
CREATE INDEX actions_due ON actions (tenant_id, status, due_on);
INSERT INTO sequences (name, next) VALUES ('actions', 1);
