-- Each device stream's current run (DESIGN §6), kept at ingest so that live status is one read
-- of tracked_devices instead of a walk back through the run's events: when the run of
-- last_state that ends at last_event_at began, whether the other state came right before it,
-- and the silence (HEARTBEAT_TIMEOUT_MINUTES, in ms) that ended runs when it was worked out.
-- NULL run_since is "not known": status reads the events, as before, until the next change of
-- run sets it. Every stream starts so.
ALTER TABLE "tracked_devices" ADD COLUMN "run_since" TIMESTAMPTZ(3);
ALTER TABLE "tracked_devices" ADD COLUMN "run_after_other" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "tracked_devices" ADD COLUMN "run_gap_ms" INTEGER;
