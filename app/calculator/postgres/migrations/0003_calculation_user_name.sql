-- Who saved a calculation, by name as amoCRM gave it, and the zone its time is shown in
-- (calculator.Calculation.UserName and TimeZone); '' when unknown, which is Moscow time for the
-- zone.
ALTER TABLE widget_calculations
    ADD COLUMN user_name text NOT NULL DEFAULT '',
    ADD COLUMN time_zone text NOT NULL DEFAULT '';
