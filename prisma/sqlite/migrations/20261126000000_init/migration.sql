-- Events as reported; times are milliseconds since the Unix epoch, UTC.
CREATE TABLE "work_events" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_key" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "state" TEXT NOT NULL CHECK ("state" IN ('working', 'stopped')),
    "ts" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "work_events_user_key_ts_state_key" ON "work_events"("user_key", "ts", "state");

CREATE TABLE "tracked_users" (
    "user_key" TEXT NOT NULL PRIMARY KEY,
    "display_name" TEXT NOT NULL,
    "first_seen_at" DATETIME NOT NULL,
    "last_event_at" DATETIME NOT NULL,
    "last_state" TEXT NOT NULL CHECK ("last_state" IN ('working', 'stopped'))
);

CREATE TABLE "hours_queue" (
    "user_key" TEXT NOT NULL PRIMARY KEY,
    "from_ts" DATETIME NOT NULL,
    "to_ts" DATETIME NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE "user_real_work_summary" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_key" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "work_date" TEXT NOT NULL,
    "real_hours_counted" INTEGER NOT NULL DEFAULT 0,
    "working_seconds" INTEGER NOT NULL DEFAULT 0,
    "first_activity" DATETIME,
    "last_activity" DATETIME,
    "last_processed_event_id" INTEGER NOT NULL DEFAULT 0,
    "updated_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "user_real_work_summary_user_key_work_date_key" ON "user_real_work_summary"("user_key", "work_date");
CREATE INDEX "user_real_work_summary_work_date_idx" ON "user_real_work_summary"("work_date");

CREATE TABLE "work_periods" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_key" TEXT NOT NULL,
    "work_date" TEXT NOT NULL,
    "start_ts" DATETIME NOT NULL,
    "end_ts" DATETIME NOT NULL,
    "last_event_id" INTEGER NOT NULL
);
CREATE INDEX "work_periods_user_key_work_date_idx" ON "work_periods"("user_key", "work_date");
CREATE INDEX "work_periods_work_date_idx" ON "work_periods"("work_date");
CREATE INDEX "work_periods_user_key_start_ts_idx" ON "work_periods"("user_key", "start_ts");

CREATE TABLE "engine_runs" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "trigger" TEXT NOT NULL,
    "started_at" DATETIME NOT NULL,
    "finished_at" DATETIME,
    "status" TEXT NOT NULL,
    "events_processed" INTEGER NOT NULL DEFAULT 0,
    "users_processed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT
);
CREATE INDEX "engine_runs_started_at_idx" ON "engine_runs"("started_at");
