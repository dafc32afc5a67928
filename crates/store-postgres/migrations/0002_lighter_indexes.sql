-- Lighter indexes for bulk imports: every index costs time on every insert.
-- The SWEREF 99 TM point index is not used by any query (bbox filters and tiles use the WGS84
-- one); it comes back when area statistics move into PostGIS.
DROP INDEX incidents_geom;
-- PostgreSQL reads the few columns maps need from the table cheaply; carrying twelve columns in
-- the time index made every insert write them twice.
DROP INDEX incidents_time;
CREATE INDEX incidents_time ON incidents (tenant_id, occurred_from, id);
