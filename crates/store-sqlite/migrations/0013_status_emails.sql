-- A reporter may ask to be told by e-mail when someone changes the status of a report they sent
-- (issue 20); off until they turn it on, on their account page.
ALTER TABLE users ADD COLUMN status_emails INTEGER NOT NULL DEFAULT 0;
