-- Map tiles by integer arithmetic: every incident keeps its Web Mercator world position
-- (geo::tile::world, 2^32 units across the world), written by the store with the point; rows
-- from before this migration get it from the same formula here.
ALTER TABLE incidents ADD COLUMN wx BIGINT, ADD COLUMN wy BIGINT;
UPDATE incidents SET
    wx = least(greatest(floor((lon + 180.0) / 360.0 * 4294967296.0), 0), 4294967295)::bigint,
    wy = least(greatest(floor((1.0 - ln(tan(radians(greatest(least(lat, 85.05112878), -85.05112878)))
        + 1.0 / cos(radians(greatest(least(lat, 85.05112878), -85.05112878)))) / pi()) / 2.0
        * 4294967296.0), 0), 4294967295)::bigint;
ALTER TABLE incidents ALTER COLUMN wx SET NOT NULL, ALTER COLUMN wy SET NOT NULL;
-- A tile is a range of wx (and wy) in one tenant; the columns a tile shows and its scope needs
-- ride along, so a tile is an index-only scan once the table is vacuumed.
CREATE INDEX incidents_world ON incidents (tenant_id, wx, wy)
    INCLUDE (id, occurred_from, category_code, status, visibility, org_id, user_id)
    WHERE precision <> 'municipality';
-- Bulk imports: a foreign key is a lookup and a row lock per written row (7 µs each, measured
-- on 50,000 rows). The store checks an incident's category, organisation, user and places
-- once per batch instead (none of those rows is ever deleted); its status log rows are
-- written with it, in the same transaction. The other tables keep their foreign keys.
ALTER TABLE incidents
    DROP CONSTRAINT incidents_tenant_id_category_code_fkey,
    DROP CONSTRAINT incidents_tenant_id_org_id_fkey,
    DROP CONSTRAINT incidents_tenant_id_user_id_fkey,
    DROP CONSTRAINT incidents_tenant_id_place_id_fkey,
    DROP CONSTRAINT incidents_tenant_id_school_id_fkey;
ALTER TABLE incident_status_log DROP CONSTRAINT incident_status_log_tenant_id_incident_id_fkey;
-- The points' GiST index goes: every query asks within one tenant, and the B-tree on
-- (tenant_id, wx, wy) finds a tile's or a box's points there (PostGIS then tests the box);
-- the GiST over all tenants' points served no query and cost 15 µs of an insert's 30
-- (SP-GiST 7). A block-range index (1.4 µs) keeps PostGIS boxes over all tenants possible
-- for a region's own analyses.
DROP INDEX incidents_geom_wgs84;
CREATE INDEX incidents_geom_wgs84 ON incidents USING brin (geom_wgs84);
-- The category index goes: a category filter reads a municipality's period by the time index
-- and tests the category (2.3 ms for a 30-day list of 20,000 reports, against 0.3 ms), and
-- every insert paid 8 µs for it.
DROP INDEX incidents_category_time;
-- A tenant's map version: any change to what its map tiles show (incidents, the areas they
-- lie in, categories, places) counts it up in the same transaction, so a server may keep the
-- tiles it made for a version and know when they are stale.
ALTER TABLE tenants ADD COLUMN map_version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION bump_map_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET map_version = map_version + 1
        WHERE id IN (SELECT DISTINCT tenant_id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_map_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER incidents_map_update AFTER UPDATE ON incidents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER incidents_map_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER incident_areas_map_insert AFTER INSERT ON incident_areas
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER incident_areas_map_delete AFTER DELETE ON incident_areas
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER categories_map_insert AFTER INSERT ON categories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER categories_map_update AFTER UPDATE ON categories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER places_map_insert AFTER INSERT ON places
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
CREATE TRIGGER places_map_update AFTER UPDATE ON places
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_map_version();
