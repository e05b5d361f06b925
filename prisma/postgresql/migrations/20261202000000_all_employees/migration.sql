-- "All employees" becomes an explicit account setting (DESIGN §8: access fails closed). Before
-- it, a supervisor without teams saw everyone, so exactly those supervisors keep seeing everyone;
-- from now on a supervisor without teams and without this setting sees nobody. Admins and
-- viewers read everything by role: the setting stays off for them, so making one of them a
-- supervisor later grants nobody until an admin chooses.
ALTER TABLE "accounts" ADD COLUMN "all_employees" BOOLEAN NOT NULL DEFAULT false;

UPDATE "accounts" SET "all_employees" = true
WHERE "role" = 'supervisor'
  AND NOT EXISTS (SELECT 1 FROM "account_teams" WHERE "account_teams"."account_id" = "accounts"."id");
