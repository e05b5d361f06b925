-- Hours are derived per (user, device) stream and then merged (DESIGN §5): the queue names the
-- stream whose events changed, and each stream's periods are kept beside the user's merged
-- ones (work_periods), for the detail. Everything stored so far is the unnamed device ''.
ALTER TABLE "hours_queue" ADD COLUMN "device_key" TEXT NOT NULL DEFAULT '';
ALTER TABLE "hours_queue" DROP CONSTRAINT "hours_queue_pkey";
ALTER TABLE "hours_queue" ADD CONSTRAINT "hours_queue_pkey" PRIMARY KEY ("user_key", "device_key");

CREATE TABLE "device_periods" (
    "id" SERIAL NOT NULL,
    "user_key" TEXT NOT NULL,
    "device_key" TEXT NOT NULL,
    "work_date" TEXT NOT NULL,
    "start_ts" TIMESTAMPTZ(3) NOT NULL,
    "end_ts" TIMESTAMPTZ(3) NOT NULL,
    "last_event_id" INTEGER NOT NULL,
    CONSTRAINT "device_periods_pkey" PRIMARY KEY ("id")
);
INSERT INTO "device_periods" ("user_key", "device_key", "work_date", "start_ts", "end_ts", "last_event_id")
SELECT "user_key", '', "work_date", "start_ts", "end_ts", "last_event_id" FROM "work_periods" ORDER BY "id";
CREATE INDEX "device_periods_user_key_start_ts_idx" ON "device_periods"("user_key", "start_ts");
CREATE INDEX "device_periods_user_key_end_ts_idx" ON "device_periods"("user_key", "end_ts");
CREATE INDEX "device_periods_user_key_work_date_idx" ON "device_periods"("user_key", "work_date");

-- The merge looks for the periods that reach into a span: by their end.
CREATE INDEX "work_periods_user_key_end_ts_idx" ON "work_periods"("user_key", "end_ts");
