-- Events know their workstation (DESIGN §4): idempotency moves to (user, device, ts, state),
-- and each event keeps the agent version and the token that sent it. Every event stored before
-- this came from the original agent, which names no device: they become the unnamed device ''.
ALTER TABLE "work_events" ADD COLUMN "device_key" TEXT NOT NULL DEFAULT '';
ALTER TABLE "work_events" ADD COLUMN "agent" TEXT;
ALTER TABLE "work_events" ADD COLUMN "token_id" INTEGER;

-- ts and state lead device_key so that one index both keeps events unique and still serves
-- the engine's and the reports' "a user's events in time order" without a sort.
DROP INDEX "work_events_user_key_ts_state_key";
CREATE UNIQUE INDEX "work_events_user_key_ts_state_device_key_key" ON "work_events"("user_key", "ts", "state", "device_key");

-- One row per (user, device) stream: its latest state for live status and the fleet page.
CREATE TABLE "tracked_devices" (
    "user_key" TEXT NOT NULL,
    "device_key" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "first_event_at" TIMESTAMPTZ(3) NOT NULL,
    "last_event_at" TIMESTAMPTZ(3) NOT NULL,
    "last_state" TEXT NOT NULL,
    "agent" TEXT,
    "token_id" INTEGER,
    CONSTRAINT "tracked_devices_pkey" PRIMARY KEY ("user_key", "device_key"),
    CONSTRAINT "tracked_devices_last_state_check" CHECK ("last_state" IN ('working', 'stopped'))
);

INSERT INTO "tracked_devices" ("user_key", "device_key", "display_name", "first_event_at", "last_event_at", "last_state")
SELECT "user_key", '', '',
       COALESCE((SELECT MIN("ts") FROM "work_events" WHERE "work_events"."user_key" = "tracked_users"."user_key"), "last_event_at"),
       "last_event_at", "last_state"
FROM "tracked_users";
