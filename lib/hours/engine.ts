import type { PoolClient } from "pg";
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/index.ts";
import { DIALECTS, toNumberedPlaceholders, type Dialect, type SqlValue } from "../db/dialect.ts";
import { retryTransientConflicts } from "../db/retry.ts";
import { addDays, startOfLocalDay, type LocalDate } from "../time.ts";
import { compareEvents, createPieceDeriver, createPieceMerger, type HoursRules, type StoredPiece } from "./periods.ts";
import { type HoursEvent } from "../users.ts";
import { findWindowEnd, findWindowStart } from "./window.ts";

/**
 * One device stream's events in [fromTs, toTs] changed; `revision` is the queue entry's, if it
 * came from the queue.
 */
export type StreamWork = { userKey: string; deviceKey: string; fromTs: number; toTs: number; revision: number | null };
type ReprocessOutcome = { events: number; dates: number };

const MIN_TS = 0;
const MAX_TS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/**
 * "values" reads rows as arrays of values; "scan" opens a read and gives back its first `size` of them, "more" the
 * next `size` (none once it is exhausted), "close" ends it: so that a window of any size is
 * read in chunks and never held.
 */
type Step =
  | { kind: "all" | "run" | "values"; sql: string; params: SqlValue[] }
  | { kind: "scan"; sql: string; params: SqlValue[]; size: number }
  | { kind: "more"; size: number }
  | { kind: "close" };
type Rows = Record<string, unknown>[];
type Values = unknown[][];
type Reply = Rows | Values;

const toEvents = (rows: Values): HoursEvent[] =>
  rows.map((row) => ({ id: Number(row[0]), ts: Number(row[1]), state: row[2] as HoursEvent["state"] }));

const SCAN_CHUNK = 10_000;
const WINDOW_FIRST_CHUNK = 256;

const newestFirst = (a: HoursEvent, b: HoursEvent) => compareEvents(b, a);

/**
 * Puts chunks read in the dialect's order into §5.1 order (see Dialect): where the dialect
 * leaves ties to JS, each run of events at one instant is sorted, and a chunk's last run waits
 * for the next chunk, which may hold the rest of it.
 */
function orderChunks(compare: (a: HoursEvent, b: HoursEvent) => number, d: Dialect) {
  let held: HoursEvent[] = [];
  const sortRuns = (events: HoursEvent[]) => {
    for (let i = 0; i < events.length - 1;) {
      let j = i + 1;
      while (j < events.length && events[j].ts === events[i].ts) j++;
      if (j - i > 1) {
        const tied = events.slice(i, j).sort(compare);
        for (let k = 0; k < tied.length; k++) events[i + k] = tied[k];
      }
      i = j;
    }
    return events;
  };
  /** The events now known to be in order; an empty chunk (the read's end) releases the rest. */
  return (chunk: HoursEvent[]): HoursEvent[] => {
    if (!d.tiesInJs) return chunk;
    const events = held.concat(chunk);
    let cut = events.length;
    if (chunk.length) while (cut > 0 && events[cut - 1].ts === events[events.length - 1].ts) cut--;
    held = events.slice(cut);
    events.length = cut;
    return sortRuns(events);
  };
}

/**
 * Reads events in the order `compare` gives until `find` names the window's edge, carrying the
 * last instant seen into the next chunk; `fallback` when the events end first. Most edges lie
 * among the first few events: one plain read finds them, and a chunked read (a cursor on
 * PostgreSQL) starts again from the first event only past them.
 */
function* findEdge(
  sql: string,
  params: SqlValue[],
  compare: (a: HoursEvent, b: HoursEvent) => number,
  d: Dialect,
  find: (events: HoursEvent[], from: number) => number | null,
  from: number,
  fallback: number,
): Generator<Step, number, Reply> {
  const first = toEvents((yield { kind: "values", sql: `${sql} LIMIT ${WINDOW_FIRST_CHUNK}`, params }) as Values);
  const complete = first.length < WINDOW_FIRST_CHUNK;
  const ordered = orderChunks(compare, d);
  const events = ordered(first);
  if (complete) events.push(...ordered([]));
  const found = find(events, from);
  if (found !== null || complete) return found ?? fallback;

  const inOrder = orderChunks(compare, d);
  let chunk = toEvents((yield { kind: "scan", sql, params, size: SCAN_CHUNK }) as Values);
  let edge: number | null = null;
  for (;;) {
    const ready = inOrder(chunk);
    edge = find(ready, from);
    if (edge !== null || !chunk.length) break;
    if (ready.length) from = ready[ready.length - 1].ts;
    chunk = toEvents((yield { kind: "more", size: SCAN_CHUNK }) as Values);
  }
  yield { kind: "close" };
  return edge ?? fallback;
}

/**
 * Re-derives one device stream's periods around its events in [fromTs, toTs] (rules 1–5), then
 * the user's merged periods wherever those can reach (rule 6), then the day summaries of every
 * date touched (rules 7–8), as a sequence of SQL steps, so that SQLite can run it synchronously
 * inside one write transaction and PostgreSQL asynchronously inside another.
 */
function* reprocessStream(work: StreamWork, rules: HoursRules, d: Dialect): Generator<Step, ReprocessOutcome, Reply> {
  const all = (sql: string, params: SqlValue[]): Step => ({ kind: "all", sql, params });
  const run = (sql: string, params: SqlValue[]): Step => ({ kind: "run", sql, params });
  const scan = (sql: string, params: SqlValue[], size: number): Step => ({ kind: "scan", sql, params, size });
  const { userKey, deviceKey } = work;
  const stream = [userKey, deviceKey];
  const events = `SELECT id, ${d.ms("ts")} AS ts, state FROM work_events WHERE user_key = ? AND device_key = ?`;

  // The window runs from the stream's last closure before fromTs to its first one after toTs (window.ts).
  let start = yield* findEdge(
    `${events} AND ts < ${d.at} ORDER BY ${d.newestFirst}`,
    [...stream, work.fromTs],
    newestFirst,
    d,
    (chunk, from) => findWindowStart(chunk, from, rules.gapMs),
    work.fromTs,
    MIN_TS,
  );
  if (start === MIN_TS) {
    // The stream's older events ran out: start at its oldest kept event, never at 0. Periods
    // before it were derived from events pruned at a closure point (retention) and must stay.
    const [oldest] = (yield all(
      `SELECT ${d.ms("MIN(ts)")} AS ts FROM work_events WHERE user_key = ? AND device_key = ?`,
      stream,
    )) as Rows;
    start = oldest?.ts === null || oldest?.ts === undefined ? MAX_TS : Number(oldest.ts);
  }
  const end = yield* findEdge(
    `${events} AND ts > ${d.at} ORDER BY ${d.oldestFirst}`,
    [...stream, work.toTs],
    compareEvents,
    d,
    (chunk, from) => findWindowEnd(chunk, from, rules.gapMs),
    work.toTs,
    MAX_TS,
  );

  const deriver = createPieceDeriver(rules);
  const inOrder = orderChunks(compareEvents, d);
  let eventCount = 0;
  let chunk = (yield scan(
    `${events} AND ts >= ${d.at} AND ts <= ${d.at} ORDER BY ${d.oldestFirst}`,
    [...stream, start, end],
    SCAN_CHUNK,
  )) as Values;
  for (;;) {
    for (const event of inOrder(toEvents(chunk))) deriver.add(event);
    eventCount += chunk.length;
    if (!chunk.length) break;
    chunk = (yield { kind: "more", size: SCAN_CHUNK }) as Values;
  }
  yield { kind: "close" };
  const pieces = deriver.finish();

  const insert = function* (table: string, rows: StoredPiece[], device: string[]) {
    const row = `(?, ${device.length ? "?, " : ""}?, ${d.at}, ${d.at}, ?)`;
    const columns = `user_key, ${device.length ? "device_key, " : ""}work_date, start_ts, end_ts, last_event_id`;
    for (let first = 0; first < rows.length; first += d.insertBatch) {
      const batch = rows.slice(first, first + d.insertBatch);
      yield run(
        `INSERT INTO ${table} (${columns}) VALUES ${batch.map(() => row).join(", ")}`,
        batch.flatMap((piece) => [userKey, ...device, piece.date, piece.start, piece.end, piece.lastEventId]),
      );
    }
  };
  yield run(
    `DELETE FROM device_periods WHERE user_key = ? AND device_key = ? AND start_ts >= ${d.at} AND start_ts <= ${d.at}`,
    [...stream, start, end],
  );
  yield* insert("device_periods", pieces, [deviceKey]);

  // The merged periods the change can reach: those overlapping or touching the window and,
  // through them, every piece of any device that overlaps or touches those, until none is left.
  const reachOf = (table: string) =>
    `SELECT MIN(${d.ms("start_ts")}) AS low, MAX(${d.ms("end_ts")}) AS high, COUNT(*) AS n FROM ${table}
     WHERE user_key = ? AND end_ts >= ${d.at} AND start_ts <= ${d.at}`;
  const reach = `SELECT MIN(low) AS low, MAX(high) AS high, SUM(others) AS others FROM (
      SELECT low, high, 0 AS others FROM (${reachOf("work_periods")}) merged
      UNION ALL
      SELECT low, high, n AS others FROM (${reachOf("device_periods")} AND device_key <> ?) devices
    ) reach`;
  let low = start;
  let high = end;
  let othersInReach = 0;
  for (;;) {
    const [row] = (yield all(reach, [userKey, low, high, userKey, low, high, deviceKey])) as Rows;
    othersInReach = Number(row.others);
    const nextLow = row.low === null ? low : Math.min(low, Number(row.low));
    const nextHigh = row.high === null ? high : Math.max(high, Number(row.high));
    if (nextLow === low && nextHigh === high) break;
    low = nextLow;
    high = nextHigh;
  }

  let merged = pieces;
  // With no other device in reach, the stream's pieces are the merged ones (rule 6 changes
  // nothing for one device), so they need not be read back.
  if (othersInReach > 0 || low !== start || high !== end) {
    const merger = createPieceMerger();
    let rows = (yield scan(
      `SELECT work_date, ${d.ms("start_ts")} AS start_ms, ${d.ms("end_ts")} AS end_ms, last_event_id FROM device_periods
       WHERE user_key = ? AND start_ts >= ${d.at} AND start_ts <= ${d.at} ORDER BY start_ts`,
      [userKey, low, high],
      SCAN_CHUNK,
    )) as Values;
    while (rows.length) {
      for (const row of rows)
        merger.add({ date: String(row[0]), start: Number(row[1]), end: Number(row[2]), lastEventId: Number(row[3]) });
      rows = (yield { kind: "more", size: SCAN_CHUNK }) as Values;
    }
    yield { kind: "close" };
    merged = merger.finish();
  }

  const inReach = `user_key = ? AND start_ts >= ${d.at} AND start_ts <= ${d.at}`;
  const oldDates = (yield all(`SELECT DISTINCT work_date FROM work_periods WHERE ${inReach}`, [
    userKey,
    low,
    high,
  ])) as Rows;
  yield run(`DELETE FROM work_periods WHERE ${inReach}`, [userKey, low, high]);
  yield* insert("work_periods", merged, []);

  const dates = new Set<LocalDate>(oldDates.map((row) => String(row.work_date)));
  for (const piece of merged) dates.add(piece.date);
  if (dates.size) {
    const sorted = [...dates].sort();
    // Summed in SQL, so that a day of very many periods is never held here a second time.
    const span = `${d.ms("end_ts")} - ${d.ms("start_ts")}`;
    const summaries = (
      (yield all(
        `SELECT work_date, SUM(${span}) AS ms, SUM(floor((${span}) / ?)) AS real_hours,
           MIN(${d.ms("start_ts")}) AS first_ts, MAX(${d.ms("end_ts")}) AS last_ts, MAX(last_event_id) AS last_id
         FROM work_periods WHERE user_key = ? AND work_date >= ? AND work_date <= ? GROUP BY work_date ORDER BY work_date`,
        [rules.blockMs, userKey, sorted[0], sorted[sorted.length - 1]],
      )) as Rows
    )
      .filter((row) => dates.has(String(row.work_date)))
      .map((row) => ({
        date: String(row.work_date),
        workingSeconds: Math.floor(Number(row.ms) / 1000),
        realHours: Number(row.real_hours),
        firstActivity: Number(row.first_ts),
        lastActivity: Number(row.last_ts),
        lastEventId: Number(row.last_id),
      }));
    const [user] = (yield all(`SELECT display_name FROM tracked_users WHERE user_key = ?`, [userKey])) as Rows;
    const username = user ? String(user.display_name) : userKey;
    const now = Date.now();
    for (const day of summaries) {
      yield run(
        `INSERT INTO user_real_work_summary (user_key, username, work_date, real_hours_counted, working_seconds,
           first_activity, last_activity, last_processed_event_id, updated_at)
         VALUES (?, ?, ?, ?, ?, ${d.at}, ${d.at}, ?, ${d.at})
         ON CONFLICT (user_key, work_date) DO UPDATE SET username = excluded.username,
           real_hours_counted = excluded.real_hours_counted, working_seconds = excluded.working_seconds,
           first_activity = excluded.first_activity, last_activity = excluded.last_activity,
           last_processed_event_id = excluded.last_processed_event_id, updated_at = excluded.updated_at`,
        [
          userKey,
          username,
          day.date,
          day.realHours,
          day.workingSeconds,
          day.firstActivity,
          day.lastActivity,
          day.lastEventId,
          now,
        ],
      );
    }
    const kept = new Set(summaries.map((day) => day.date));
    for (const date of dates) {
      if (!kept.has(date))
        yield run(`DELETE FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`, [userKey, date]);
    }
  }
  if (work.revision !== null) {
    // A newer report bumped the revision while we worked: leave the entry for the next run.
    yield run(`DELETE FROM hours_queue WHERE user_key = ? AND device_key = ? AND revision = ?`, [
      ...stream,
      work.revision,
    ]);
  }
  return { events: eventCount, dates: dates.size };
}

/** Runs the steps for one device stream in one transaction of the given database. */
export type StreamProcessor = (work: StreamWork, rules: HoursRules) => Promise<ReprocessOutcome>;

function sqliteProcessor(db: Db): StreamProcessor {
  const sqlite = db.sqlite!;
  const statements = new Map<string, Statement>();
  const prepare = (kind: Step["kind"], sql: string) => {
    const key = `${kind}:${sql}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = sqlite.prepare(sql);
      // Scans come back as arrays, which better-sqlite3 builds faster than objects.
      if (kind === "scan") statement.raw(true);
      statements.set(key, statement);
    }
    return statement;
  };
  const runAll = sqlite.transaction((work: StreamWork, rules: HoursRules) => {
    const steps = reprocessStream(work, rules, DIALECTS.sqlite);
    let open: Iterator<unknown> | null = null;
    const take = (size: number) => {
      const rows: Values = [];
      while (open && rows.length < size) {
        const next = open.next();
        if (next.done) open = null;
        else rows.push(next.value as unknown[]);
      }
      return rows;
    };
    try {
      let result = steps.next();
      while (!result.done) {
        const step = result.value;
        let reply: Reply = [];
        if (step.kind === "scan") {
          open = prepare("scan", step.sql).iterate(...step.params);
          reply = take(step.size);
        } else if (step.kind === "more") reply = take(step.size);
        else if (step.kind === "close") {
          open?.return?.();
          open = null;
        } else if (step.kind === "values") reply = prepare("scan", step.sql).all(...step.params) as Values;
        else if (step.kind === "all") reply = prepare("all", step.sql).all(...step.params) as Rows;
        else prepare("run", step.sql).run(...step.params);
        result = steps.next(reply);
      }
      return result.value;
    } finally {
      open?.return?.();
    }
  });
  return async (work, rules) => runAll.immediate(work, rules);
}

function postgresProcessor(client: PoolClient): StreamProcessor {
  // A stream's transaction is rolled back whole on a deadlock or serialization failure and
  // derives the same result when run again.
  return (work, rules) => retryTransientConflicts("hours engine", () => processOnce(work, rules));
  async function processOnce(work: StreamWork, rules: HoursRules): Promise<ReprocessOutcome> {
    await client.query("BEGIN");
    try {
      const steps = reprocessStream(work, rules, DIALECTS.postgresql);
      // Cursors, so that the driver never hands over more than one chunk of a window at once;
      // the transaction's end closes them.
      let cursor = "";
      let exhausted = true;
      let scans = 0;
      const fetch = async (size: number): Promise<Values> => {
        if (exhausted) return [];
        const { rows } = await client.query<unknown[]>({
          text: `FETCH FORWARD ${size} FROM ${cursor}`,
          rowMode: "array",
        });
        exhausted = rows.length < size;
        return rows;
      };
      let result = steps.next();
      while (!result.done) {
        const step = result.value;
        let reply: Reply = [];
        if (step.kind === "scan") {
          cursor = `engine_scan_${++scans}`;
          await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${toNumberedPlaceholders(step.sql)}`, step.params);
          exhausted = false;
          reply = await fetch(step.size);
        } else if (step.kind === "more") reply = await fetch(step.size);
        else if (step.kind === "close") exhausted = true;
        else if (step.kind === "values")
          reply = (
            await client.query<unknown[]>({
              text: toNumberedPlaceholders(step.sql),
              values: step.params,
              rowMode: "array",
            })
          ).rows;
        else reply = (await client.query(toNumberedPlaceholders(step.sql), step.params)).rows;
        result = steps.next(reply);
      }
      await client.query("COMMIT");
      return result.value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}

/**
 * Opens what the engine needs for one run; `release` must be called when the run ends, with
 * `discard` when the connection may still hold session state (an advisory lock).
 */
export async function openProcessor(
  db: Db,
): Promise<{ process: StreamProcessor; release: (discard?: boolean) => Promise<void>; client?: PoolClient }> {
  if (db.provider === "sqlite") return { process: sqliteProcessor(db), release: async () => undefined };
  const client = await db.pool!.connect();
  return { process: postgresProcessor(client), release: async (discard = false) => client.release(discard), client };
}

/** The span of instants a range of local dates covers, for rebuilding part of the history. */
export function instantsOfDates(from: LocalDate, to: LocalDate, timeZone: string): { fromTs: number; toTs: number } {
  return { fromTs: startOfLocalDay(from, timeZone), toTs: startOfLocalDay(addDays(to, 1), timeZone) - 1 };
}
