-- Expected hours (DESIGN §11): work schedules, public holidays and leave. Dates are local to
-- REPORT_TIMEZONE as YYYY-MM-DD text, as work_date is; times are milliseconds since the epoch.

-- A schedule row: seconds expected per weekday, in force from effective_from until the next row
-- of the same scope. scope_key is 'default', 'team:<id>' or 'employee:<user key>': one row per
-- scope and date, so saving the same date again replaces it.
CREATE TABLE "work_schedules" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "scope" TEXT NOT NULL CHECK ("scope" IN ('default', 'team', 'employee')),
    "scope_key" TEXT NOT NULL,
    "team_id" INTEGER,
    "user_key" TEXT,
    "effective_from" TEXT NOT NULL,
    "mon_seconds" INTEGER NOT NULL CHECK ("mon_seconds" BETWEEN 0 AND 86400),
    "tue_seconds" INTEGER NOT NULL CHECK ("tue_seconds" BETWEEN 0 AND 86400),
    "wed_seconds" INTEGER NOT NULL CHECK ("wed_seconds" BETWEEN 0 AND 86400),
    "thu_seconds" INTEGER NOT NULL CHECK ("thu_seconds" BETWEEN 0 AND 86400),
    "fri_seconds" INTEGER NOT NULL CHECK ("fri_seconds" BETWEEN 0 AND 86400),
    "sat_seconds" INTEGER NOT NULL CHECK ("sat_seconds" BETWEEN 0 AND 86400),
    "sun_seconds" INTEGER NOT NULL CHECK ("sun_seconds" BETWEEN 0 AND 86400),
    "created_at" DATETIME NOT NULL,
    CONSTRAINT "work_schedules_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "work_schedules_scope_key_effective_from_key" ON "work_schedules"("scope_key", "effective_from");

CREATE TABLE "holidays" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "date" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "holidays_date_key" ON "holidays"("date");

-- Leave of one employee (by user key) from start_date to end_date, both included.
CREATE TABLE "leave" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_key" TEXT NOT NULL,
    "start_date" TEXT NOT NULL,
    "end_date" TEXT NOT NULL,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('vacation', 'sick', 'other')),
    "note" TEXT,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL,
    CHECK ("end_date" >= "start_date")
);
CREATE INDEX "leave_user_key_start_date_idx" ON "leave"("user_key", "start_date");
CREATE INDEX "leave_start_date_idx" ON "leave"("start_date");
