-- Hours are derived per (user, device) stream and then merged (DESIGN §5): the queue names the
-- stream whose events changed, and each stream's periods are kept beside the user's merged
-- ones (work_periods), for the detail. Everything stored so far is the unnamed device ''.
CREATE TABLE "new_hours_queue" (
    "user_key" TEXT NOT NULL,
    "device_key" TEXT NOT NULL DEFAULT '',
    "from_ts" DATETIME NOT NULL,
    "to_ts" DATETIME NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,

    PRIMARY KEY ("user_key", "device_key")
);
INSERT INTO "new_hours_queue" ("user_key", "device_key", "from_ts", "to_ts", "revision")
SELECT "user_key", '', "from_ts", "to_ts", "revision" FROM "hours_queue";
DROP TABLE "hours_queue";
ALTER TABLE "new_hours_queue" RENAME TO "hours_queue";

CREATE TABLE "device_periods" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_key" TEXT NOT NULL,
    "device_key" TEXT NOT NULL,
    "work_date" TEXT NOT NULL,
    "start_ts" DATETIME NOT NULL,
    "end_ts" DATETIME NOT NULL,
    "last_event_id" INTEGER NOT NULL
);
INSERT INTO "device_periods" ("user_key", "device_key", "work_date", "start_ts", "end_ts", "last_event_id")
SELECT "user_key", '', "work_date", "start_ts", "end_ts", "last_event_id" FROM "work_periods" ORDER BY "id";
CREATE INDEX "device_periods_user_key_start_ts_idx" ON "device_periods"("user_key", "start_ts");
CREATE INDEX "device_periods_user_key_end_ts_idx" ON "device_periods"("user_key", "end_ts");
CREATE INDEX "device_periods_user_key_work_date_idx" ON "device_periods"("user_key", "work_date");

-- The merge looks for the periods that reach into a span: by their end.
CREATE INDEX "work_periods_user_key_end_ts_idx" ON "work_periods"("user_key", "end_ts");
