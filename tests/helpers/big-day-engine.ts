// Run as a script in a child process with a capped heap (tests/server/big-day-engine.test.ts):
// stores one user-day of alternating events through the event store into DATABASE_URL, runs
// the hours engine over it and prints the run's status and the day's stored totals.
import { openDb } from "../../lib/db/index.ts";
import { migrate } from "../../lib/db/migrator.ts";
import { runHoursEngine } from "../../lib/hours/run.ts";
import { EventStore } from "../../lib/ingest/store.ts";

const EVENTS = Number(process.env.BIG_DAY_EVENTS);
const FROM = Date.parse("2026-03-01T20:00:00Z");
const db = openDb(process.env.DATABASE_URL!);
try {
  await migrate(db);
  const store = new EventStore(db);
  for (let first = 0; first < EVENTS; first += 5000) {
    const events = Array.from({ length: Math.min(5000, EVENTS - first) }, (_, i) => ({
      userKey: "flooder",
      username: "flooder",
      state: (first + i) % 2 ? ("stopped" as const) : ("working" as const),
      ts: FROM + (first + i) * 100,
    }));
    await store.store(events, FROM);
  }
  const run = await runHoursEngine({
    trigger: "test",
    db,
    rules: { gapMs: 15 * 60_000, blockMs: 40 * 60_000, timeZone: "Asia/Dubai" },
  });
  const [day] = await db.raw.query<Record<string, unknown>>(
    `SELECT working_seconds, (SELECT COUNT(*) FROM work_periods) AS periods FROM user_real_work_summary`,
  );
  process.stdout.write(
    `${JSON.stringify({ status: run.status, working_seconds: Number(day?.working_seconds), periods: Number(day?.periods) })}\n`,
  );
} finally {
  await db.close();
}
