-- Where a municipality's notifications (a school's mobilisation list) are sent through: its SMTP
-- relay. A password, when the relay needs one, is never stored: the server reads it from its
-- environment (LAGESBILD_SMTP_PASSWORD_<code>, or LAGESBILD_SMTP_PASSWORD).
ALTER TABLE tenants ADD COLUMN smtp_host TEXT;
ALTER TABLE tenants ADD COLUMN smtp_port BIGINT;
ALTER TABLE tenants ADD COLUMN smtp_security TEXT;
ALTER TABLE tenants ADD COLUMN smtp_from TEXT;
ALTER TABLE tenants ADD COLUMN smtp_user TEXT;
