-- What reporters see of other organisations' reports shared with all partners:
-- 'own' (only their own reports), 'map' (their own in lists, others as points on the map),
-- 'shared' (others' shared reports in lists and on the map too).
ALTER TABLE tenants ADD COLUMN reporter_view TEXT NOT NULL DEFAULT 'map'
    CHECK (reporter_view IN ('own', 'map', 'shared'));
