import type { Db } from "./index.ts";

/*
 * On PostgreSQL work_events is partitioned by UTC month (migration 20261230000000), so that
 * retention drops a month of raw events at once instead of deleting rows. Month partitions are
 * named work_events_pYYYYMM; work_events_default catches any event outside them (an old one,
 * when events are kept for ever), so an insert never fails for lack of a partition.
 */

const MONTHS_AHEAD = 3;
const NAME = /^work_events_p(\d{4})(\d{2})$/;

export const startOfUtcMonth = (ts: number): number => {
  const date = new Date(ts);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
};

const addMonths = (monthStart: number, months: number): number => {
  const date = new Date(monthStart);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
};

const nameOf = (monthStart: number): string => {
  const date = new Date(monthStart);
  return `work_events_p${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
};

type MonthPartition = { name: string; from: number; to: number };

/** work_events' month partitions, oldest first. */
export async function listEventPartitions(db: Db): Promise<MonthPartition[]> {
  const rows = await db.raw.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'work_events'::regclass`,
  );
  return rows
    .map((row) => NAME.exec(row.name))
    .filter((match) => match !== null)
    .map((match) => {
      const from = Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
      return { name: match[0], from, to: addMonths(from, 1) };
    })
    .sort((a, b) => a.from - b.from);
}

/**
 * Creates the missing month partitions: from this month to MONTHS_AHEAD months ahead, and every
 * month that has events in the default partition (late events of a month before the first
 * partition, or a server that was off for months), whose events move into it in the same
 * transaction, so that retention can drop them with their month.
 */
export async function ensureEventPartitions(db: Db, now = Date.now()): Promise<string[]> {
  const existing = new Set((await listEventPartitions(db)).map((partition) => partition.name));
  const stray = await db.raw.query<{ month: unknown }>(
    `SELECT DISTINCT (extract(epoch FROM date_trunc('month', ts AT TIME ZONE 'UTC')) * 1000)::float8 AS month
     FROM work_events_default`,
  );
  const months = new Set(stray.map((row) => Number(row.month)));
  for (let month = 0; month <= MONTHS_AHEAD; month++) months.add(addMonths(startOfUtcMonth(now), month));
  const created: string[] = [];
  for (const from of [...months].sort((a, b) => a - b)) {
    const name = nameOf(from);
    if (existing.has(name)) continue;
    const range = `FROM ('${new Date(from).toISOString()}') TO ('${new Date(addMonths(from, 1)).toISOString()}')`;
    const client = await db.pool!.connect();
    try {
      await client.query("BEGIN");
      await client.query(`CREATE TABLE ${name} (LIKE work_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await client.query(
        `WITH moved AS (DELETE FROM work_events_default WHERE ts >= $1 AND ts < $2 RETURNING *)
         INSERT INTO ${name} SELECT * FROM moved`,
        [new Date(from), new Date(addMonths(from, 1))],
      );
      await client.query(`ALTER TABLE work_events ATTACH PARTITION ${name} FOR VALUES ${range}`);
      await client.query("COMMIT");
      created.push(name);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  return created;
}

/** Drops every month partition that ends at or before `safe`; returns how many, and their events. */
export async function dropEventPartitionsBefore(db: Db, safe: number): Promise<{ partitions: number; events: number }> {
  let partitions = 0;
  let events = 0;
  for (const partition of await listEventPartitions(db)) {
    if (partition.to > safe) break;
    const [row] = await db.raw.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${partition.name}`);
    await db.raw.execute(`DROP TABLE ${partition.name}`);
    events += Number(row.n);
    partitions++;
  }
  return { partitions, events };
}
