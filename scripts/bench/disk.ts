// Disk per stored event (docs/operations.md, "Sizing"): loads --events events for --agents
// agents through EventStore, in time order across agents as live traffic arrives, each named
// device, agent version and token recorded as the server records them; runs the hours engine;
// then prints every table's bytes with its indexes, bytes per event and per user-day, and what
// that means for 1,000 agents a month with and without EVENT_RETENTION_DAYS.
// Usage: npm run bench:disk -- [--events 200000] [--agents 100] [--postgres URL]
import { openDb, type Db } from "../../lib/db/index.ts";
import { migrate } from "../../lib/db/migrator.ts";
import { createToken } from "../../lib/auth/tokens.ts";
import { runHoursEngine } from "../../lib/hours/run.ts";
import type { ParsedEvent } from "../../lib/ingest/schema.ts";
import { localDateOf } from "../../lib/time.ts";
import { EventStore } from "../../lib/ingest/store.ts";
import { createBenchDatabase } from "./database.ts";
import { EventStream, planDays, Population, RULES } from "./hours-data.ts";
import { parseBenchOptions } from "./options.ts";

const HELP = `npm run bench:disk -- [options]

  --events <n>       events to store (default 200000)
  --agents <n>       agents (one user and one device each) the events come from (default 100)
  --postgres <url>   measure on PostgreSQL: a throwaway database is created there and dropped
`;

/** DESIGN §9: an agent sends about 500 events a working day; five working days in seven. */
const EVENTS_PER_AGENT_DAY = 500;
const WORKING_DAYS_PER_MONTH = (30.44 * 5) / 7;
const RETENTION_DAYS = [90, 365];
const BATCH = 5000;

type TableSize = { table: string; rows: number; bytes: number };

/** Each table's bytes with its indexes (on PostgreSQL also TOAST, and every partition of a partitioned table). */
async function tableSizes(db: Db): Promise<TableSize[]> {
  if (db.provider === "sqlite") {
    const sqlite = db.sqlite!;
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
    const rows = sqlite
      .prepare(
        `SELECT m.tbl_name AS "table", SUM(s.pgsize) AS bytes
         FROM dbstat s JOIN sqlite_master m ON m.name = s.name
         GROUP BY m.tbl_name ORDER BY bytes DESC`,
      )
      .all() as { table: string; bytes: number }[];
    return rows.map((row) => ({
      ...row,
      rows: (sqlite.prepare(`SELECT COUNT(*) AS n FROM "${row.table}"`).get() as { n: number }).n,
    }));
  }
  await db.raw.execute("VACUUM ANALYZE");
  const rows = await db.raw.query<{ table: string; bytes: string }>(
    `SELECT c.relname AS "table",
            CASE WHEN c.relkind = 'p'
                 THEN (SELECT SUM(pg_total_relation_size(t.relid)) FROM pg_partition_tree(c.oid) t)
                 ELSE pg_total_relation_size(c.oid) END AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY 2 DESC`,
  );
  const sizes: TableSize[] = [];
  for (const row of rows) {
    const [{ n }] = await db.raw.query<{ n: string }>(`SELECT COUNT(*) AS n FROM "${row.table}"`);
    sizes.push({ table: row.table, rows: Number(n), bytes: Number(row.bytes) });
  }
  return sizes;
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
const gb = (bytes: number) => `${(bytes / 1_073_741_824).toFixed(1)} GB`;

async function main() {
  const options = parseBenchOptions(HELP, {
    events: { default: 200_000, max: 50_000_000 },
    agents: { default: 100, max: 100_000 },
  });
  const database = await createBenchDatabase("disk", { postgres: options.postgres });
  const db = openDb(database.url);
  try {
    await migrate(db);
    const { info } = await createToken(db, { name: "bench-disk", scope: "ingest", createdBy: "bench" });
    const population = new Population(options.agents);
    const devices = population.usernames.map((_, i) => `WS-${String(i).padStart(5, "0")}`);
    const stream = new EventStream(population, planDays(population, options.events, RULES.timeZone), RULES.timeZone);
    const store = new EventStore(db);
    const userDays = new Set<string>();
    const started = performance.now();
    for (let left = options.events; left > 0;) {
      const batch: ParsedEvent[] = stream.take(Math.min(left, BATCH)).map((e) => ({
        userKey: population.userKeys[e.user],
        username: population.usernames[e.user],
        state: e.state,
        ts: e.ts,
        deviceKey: devices[e.user].toLowerCase(),
        device: devices[e.user],
        agent: "2.1.0",
      }));
      for (const e of batch) userDays.add(`${e.userKey}|${localDateOf(e.ts, RULES.timeZone)}`);
      left -= batch.length;
      await store.store(batch, batch[batch.length - 1].ts + 1000, info.id);
    }
    await store.drain();
    const loadSeconds = (performance.now() - started) / 1000;
    const engine = await runHoursEngine({ trigger: "manual", db, rules: RULES });
    if (engine.status !== "ok") throw new Error(`The hours engine did not run: ${JSON.stringify(engine)}`);

    const sizes = await tableSizes(db);
    const size = (table: string) => sizes.find((s) => s.table === table)?.bytes ?? 0;
    const events = sizes.find((s) => s.table === "work_events")!.rows;
    if (events !== options.events) throw new Error(`Stored ${events} events of ${options.events}`);
    const perEvent = size("work_events") / events;
    const derived = size("work_periods") + size("device_periods") + size("user_real_work_summary");
    const perUserDay = derived / userDays.size;
    const total = await database.size(db);

    console.log(`bench:disk — ${database.describe}`);
    console.log(
      `${events.toLocaleString("en")} events, ${options.agents} agents, ${userDays.size} user-days, stored in ${loadSeconds.toFixed(1)} s\n`,
    );
    console.log("| table (with its indexes) | rows | size |");
    console.log("|---|---:|---:|");
    for (const s of sizes) console.log(`| ${s.table} | ${s.rows.toLocaleString("en")} | ${mb(s.bytes)} |`);
    console.log(`| whole database | | ${mb(total)} |\n`);
    console.log(`raw events: ${perEvent.toFixed(0)} bytes per event, indexes included`);
    console.log(
      `derived (periods per device and merged, daily summaries): ${perUserDay.toFixed(0)} bytes per user-day, kept for ever\n`,
    );
    const agents = 1000;
    const eventsPerMonth = agents * EVENTS_PER_AGENT_DAY * WORKING_DAYS_PER_MONTH;
    const derivedPerMonth = agents * WORKING_DAYS_PER_MONTH * perUserDay;
    console.log(
      `1,000 agents, ${EVENTS_PER_AGENT_DAY} events each a working day, ${WORKING_DAYS_PER_MONTH.toFixed(1)} working days a month:`,
    );
    console.log(`- without retention: +${gb(eventsPerMonth * perEvent + derivedPerMonth)} a month, for ever`);
    for (const days of RETENTION_DAYS) {
      const kept = agents * EVENTS_PER_AGENT_DAY * ((days * 5) / 7) * perEvent;
      console.log(
        `- EVENT_RETENTION_DAYS=${days}: raw events level off at ${gb(kept)}; derived rows grow ${mb(derivedPerMonth)} a month`,
      );
    }
  } finally {
    await db.close();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(`bench:disk failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
