-- Events as reported; every time is timestamptz to the millisecond.
CREATE TABLE "work_events" (
    "id" SERIAL NOT NULL,
    "user_key" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "work_events_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "work_events_state_check" CHECK ("state" IN ('working', 'stopped'))
);
CREATE UNIQUE INDEX "work_events_user_key_ts_state_key" ON "work_events"("user_key", "ts", "state");

CREATE TABLE "tracked_users" (
    "user_key" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_event_at" TIMESTAMPTZ(3) NOT NULL,
    "last_state" TEXT NOT NULL,
    CONSTRAINT "tracked_users_pkey" PRIMARY KEY ("user_key"),
    CONSTRAINT "tracked_users_last_state_check" CHECK ("last_state" IN ('working', 'stopped'))
);

CREATE TABLE "hours_queue" (
    "user_key" TEXT NOT NULL,
    "from_ts" TIMESTAMPTZ(3) NOT NULL,
    "to_ts" TIMESTAMPTZ(3) NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT "hours_queue_pkey" PRIMARY KEY ("user_key")
);

CREATE TABLE "user_real_work_summary" (
    "id" SERIAL NOT NULL,
    "user_key" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "work_date" TEXT NOT NULL,
    "real_hours_counted" INTEGER NOT NULL DEFAULT 0,
    "working_seconds" INTEGER NOT NULL DEFAULT 0,
    "first_activity" TIMESTAMPTZ(3),
    "last_activity" TIMESTAMPTZ(3),
    "last_processed_event_id" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "user_real_work_summary_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "user_real_work_summary_user_key_work_date_key" ON "user_real_work_summary"("user_key", "work_date");
CREATE INDEX "user_real_work_summary_work_date_idx" ON "user_real_work_summary"("work_date");

CREATE TABLE "work_periods" (
    "id" SERIAL NOT NULL,
    "user_key" TEXT NOT NULL,
    "work_date" TEXT NOT NULL,
    "start_ts" TIMESTAMPTZ(3) NOT NULL,
    "end_ts" TIMESTAMPTZ(3) NOT NULL,
    "last_event_id" INTEGER NOT NULL,
    CONSTRAINT "work_periods_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "work_periods_user_key_work_date_idx" ON "work_periods"("user_key", "work_date");
CREATE INDEX "work_periods_work_date_idx" ON "work_periods"("work_date");
CREATE INDEX "work_periods_user_key_start_ts_idx" ON "work_periods"("user_key", "start_ts");

CREATE TABLE "engine_runs" (
    "id" SERIAL NOT NULL,
    "trigger" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,
    "events_processed" INTEGER NOT NULL DEFAULT 0,
    "users_processed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    CONSTRAINT "engine_runs_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "engine_runs_started_at_idx" ON "engine_runs"("started_at");
