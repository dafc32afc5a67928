-- Map tiles by integer arithmetic: every incident keeps its Web Mercator world position
-- (geo::tile::world, 2^32 units across the world), computed by the store when it writes the
-- point. Rows from before this migration get theirs when the store opens the database.
ALTER TABLE incidents ADD COLUMN wx INTEGER;
ALTER TABLE incidents ADD COLUMN wy INTEGER;
-- Work the store does once after a migration (here: the positions of the rows above), so that
-- opening a database does not look for it every time.
CREATE TABLE pending_fills (what TEXT PRIMARY KEY);
INSERT INTO pending_fills (what) VALUES ('world_positions');
-- A tile is a range of wx (and wy) in one tenant; the columns a tile shows and its scope
-- needs ride along, so a tile is read from the index alone.
CREATE INDEX incidents_world ON incidents
    (tenant_id, wx, wy, occurred_from, id, category_code, status, visibility, org_id, user_id)
    WHERE precision <> 'municipality';
-- A tenant's map version: any change to what its map tiles show (incidents, the areas they
-- lie in, categories, places) counts it up in the same transaction, so the server may keep the
-- tiles it made for a version and know when they are stale.
ALTER TABLE tenants ADD COLUMN map_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER incidents_map_insert AFTER INSERT ON incidents BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER incidents_map_update AFTER UPDATE ON incidents BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER incidents_map_delete AFTER DELETE ON incidents BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = OLD.tenant_id; END;
CREATE TRIGGER incident_areas_map_insert AFTER INSERT ON incident_areas BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER incident_areas_map_delete AFTER DELETE ON incident_areas BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = OLD.tenant_id; END;
CREATE TRIGGER categories_map_insert AFTER INSERT ON categories BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER categories_map_update AFTER UPDATE ON categories BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER places_map_insert AFTER INSERT ON places BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER places_map_update AFTER UPDATE ON places BEGIN
    UPDATE tenants SET map_version = map_version + 1 WHERE id = NEW.tenant_id; END;
