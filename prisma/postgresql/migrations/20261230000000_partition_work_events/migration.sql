-- work_events partitioned by UTC month (DESIGN §9), so that retention drops a month of raw
-- events at once instead of deleting rows. A partitioned table's primary key must hold the
-- partition key, so it becomes (id, ts); the idempotency key already holds ts. The rows move
-- with their ids and the id sequence carries on. Month partitions are work_events_pYYYYMM, from
-- the oldest event's month to three months ahead (the retention job keeps creating them ahead);
-- work_events_default takes anything outside them, so an insert never fails for lack of one.
ALTER TABLE "work_events" RENAME TO "work_events_unpartitioned";
ALTER TABLE "work_events_unpartitioned" RENAME CONSTRAINT "work_events_pkey" TO "work_events_unpartitioned_pkey";
ALTER INDEX "work_events_user_key_ts_state_device_key_key" RENAME TO "work_events_unpartitioned_ukey";
ALTER SEQUENCE "work_events_id_seq" OWNED BY NONE;

CREATE TABLE "work_events" (
    "id" INTEGER NOT NULL DEFAULT nextval('work_events_id_seq'),
    "user_key" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "device_key" TEXT NOT NULL DEFAULT '',
    "agent" TEXT,
    "token_id" INTEGER,
    CONSTRAINT "work_events_pkey" PRIMARY KEY ("id", "ts"),
    CONSTRAINT "work_events_state_check" CHECK ("state" IN ('working', 'stopped'))
) PARTITION BY RANGE ("ts");
ALTER SEQUENCE "work_events_id_seq" OWNED BY "work_events"."id";
CREATE UNIQUE INDEX "work_events_user_key_ts_state_device_key_key" ON "work_events"("user_key", "ts", "state", "device_key");
CREATE TABLE "work_events_default" PARTITION OF "work_events" DEFAULT;

DO $$
DECLARE
    month timestamptz := date_trunc('month', COALESCE((SELECT MIN("ts") FROM "work_events_unpartitioned"), now()) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    last timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '3 months';
BEGIN
    WHILE month <= last LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF "work_events" FOR VALUES FROM (%L) TO (%L)',
            'work_events_p' || to_char(month AT TIME ZONE 'UTC', 'YYYYMM'),
            month,
            (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC'
        );
        month := (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
    END LOOP;
END
$$;

INSERT INTO "work_events" ("id", "user_key", "username", "state", "ts", "received_at", "device_key", "agent", "token_id")
SELECT "id", "user_key", "username", "state", "ts", "received_at", "device_key", "agent", "token_id"
FROM "work_events_unpartitioned";
DROP TABLE "work_events_unpartitioned";
