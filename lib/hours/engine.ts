import type { PoolClient } from "pg";
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/index.ts";
import { DIALECTS, toNumberedPlaceholders, type Dialect, type SqlValue } from "../db/dialect.ts";
import { addDays, startOfLocalDay, type LocalDate } from "../time.ts";
import { compareEvents, derivePeriods, splitAtMidnight, type HoursRules, type Piece } from "./periods.ts";
import { type HoursEvent } from "../users.ts";
import { findWindowEnd, findWindowStart } from "./window.ts";

/** One user's events in [fromTs, toTs] changed; `revision` is the queue entry's, if it came from the queue. */
export type UserWork = { userKey: string; fromTs: number; toTs: number; revision: number | null };
type ReprocessOutcome = { events: number; dates: number };

const MIN_TS = 0;
const MAX_TS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/** "events" reads rows of (id, ts, state) and gives them back as HoursEvent[]. */
type Step = { kind: "all" | "run" | "events"; sql: string; params: SqlValue[] };
type Rows = Record<string, unknown>[];
type Reply = Rows | HoursEvent[];

const toEvents = (rows: Rows): HoursEvent[] =>
  rows.map((row) => ({ id: Number(row.id), ts: Number(row.ts), state: row.state as HoursEvent["state"] }));

const newestFirst = (a: HoursEvent, b: HoursEvent) => compareEvents(b, a);

/** Sorts each run of events that share an instant by §5.1 (reversed when newest first); the rest is in order already. */
function orderTies(events: HoursEvent[], compare: (a: HoursEvent, b: HoursEvent) => number): void {
  for (let i = 0; i < events.length - 1;) {
    let j = i + 1;
    while (j < events.length && events[j].ts === events[i].ts) j++;
    if (j - i > 1) {
      const tied = events.slice(i, j).sort(compare);
      for (let k = 0; k < tied.length; k++) events[i + k] = tied[k];
    }
    i = j;
  }
}

/** A page of events read in the dialect's order, as the first `limit` in §5.1 order (see Dialect). */
function inOrder(
  events: HoursEvent[],
  d: Dialect,
  compare: (a: HoursEvent, b: HoursEvent) => number,
  limit = Infinity,
): HoursEvent[] {
  if (!d.tiesInJs) return events;
  orderTies(events, compare);
  if (events.length > limit) events.length = limit;
  return events;
}

type StoredPiece = Piece & { lastEventId: number };

/** Gives each piece the highest id of the (sorted) events inside it. */
function attachLastEventIds(pieces: Piece[], events: HoursEvent[]): StoredPiece[] {
  let first = 0;
  // In place: a day of very many periods must not be held twice.
  const stored = pieces as StoredPiece[];
  for (const piece of stored) {
    while (first < events.length && events[first].ts < piece.start) first++;
    let last = 0;
    for (let i = first; i < events.length && events[i].ts <= piece.end; i++) last = Math.max(last, events[i].id);
    piece.lastEventId = last;
  }
  return stored;
}

/**
 * Re-derives one user's periods and day summaries around the events in [fromTs, toTs], as a
 * sequence of SQL steps, so that SQLite can run it synchronously inside one write transaction
 * and PostgreSQL asynchronously inside another.
 */
function* reprocessUser(work: UserWork, rules: HoursRules, d: Dialect): Generator<Step, ReprocessOutcome, Reply> {
  const all = (sql: string, params: SqlValue[]): Step => ({ kind: "all", sql, params });
  const run = (sql: string, params: SqlValue[]): Step => ({ kind: "run", sql, params });
  const read = (sql: string, params: SqlValue[]): Step => ({ kind: "events", sql, params });
  const { userKey } = work;
  const eventColumns = `id, ${d.ms("ts")} AS ts, state`;
  const extraRow = d.tiesInJs ? 1 : 0;

  let start: number | null = null;
  for (let limit = 256; start === null; limit *= 4) {
    const page = inOrder(
      (yield read(
        `SELECT ${eventColumns} FROM work_events WHERE user_key = ? AND ts < ${d.at} ORDER BY ${d.newestFirst} LIMIT ?`,
        [userKey, work.fromTs, limit + extraRow],
      )) as HoursEvent[],
      d,
      newestFirst,
      limit,
    );
    start = findWindowStart(page, work.fromTs, rules.gapMs) ?? (page.length < limit ? MIN_TS : null);
  }
  let end: number | null = null;
  for (let limit = 256; end === null; limit *= 4) {
    const page = inOrder(
      (yield read(
        `SELECT ${eventColumns} FROM work_events WHERE user_key = ? AND ts > ${d.at} ORDER BY ${d.oldestFirst} LIMIT ?`,
        [userKey, work.toTs, limit + extraRow],
      )) as HoursEvent[],
      d,
      compareEvents,
      limit,
    );
    end = findWindowEnd(page, work.toTs, rules.gapMs) ?? (page.length < limit ? MAX_TS : null);
  }

  let events = inOrder(
    (yield read(
      `SELECT ${eventColumns} FROM work_events WHERE user_key = ? AND ts >= ${d.at} AND ts <= ${d.at} ORDER BY ${d.oldestFirst}`,
      [userKey, start, end],
    )) as HoursEvent[],
    d,
    compareEvents,
  );
  const pieces = attachLastEventIds(
    derivePeriods(events, rules.gapMs).flatMap((period) => splitAtMidnight(period, rules.timeZone)),
    events,
  );
  const eventCount = events.length;
  events = [];

  const inWindow = `user_key = ? AND start_ts >= ${d.at} AND start_ts <= ${d.at}`;
  const oldDates = (yield all(`SELECT DISTINCT work_date FROM work_periods WHERE ${inWindow}`, [
    userKey,
    start,
    end,
  ])) as Rows;
  yield run(`DELETE FROM work_periods WHERE ${inWindow}`, [userKey, start, end]);
  for (const piece of pieces) {
    yield run(
      `INSERT INTO work_periods (user_key, work_date, start_ts, end_ts, last_event_id) VALUES (?, ?, ${d.at}, ${d.at}, ?)`,
      [userKey, piece.date, piece.start, piece.end, piece.lastEventId],
    );
  }

  const dates = new Set<LocalDate>([...oldDates.map((row) => String(row.work_date)), ...pieces.map((p) => p.date)]);
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
    yield run(`DELETE FROM hours_queue WHERE user_key = ? AND revision = ?`, [userKey, work.revision]);
  }
  return { events: eventCount, dates: dates.size };
}

/** Runs the steps for one user in one transaction of the given database. */
export type UserProcessor = (work: UserWork, rules: HoursRules) => Promise<ReprocessOutcome>;

function sqliteProcessor(db: Db): UserProcessor {
  const sqlite = db.sqlite!;
  const statements = new Map<string, Statement>();
  const prepare = (kind: Step["kind"], sql: string) => {
    const key = `${kind}:${sql}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = sqlite.prepare(sql);
      // Events come back as arrays, which better-sqlite3 builds faster than objects.
      if (kind === "events") statement.raw(true);
      statements.set(key, statement);
    }
    return statement;
  };
  const toEvent = (row: unknown[]): HoursEvent => ({
    id: Number(row[0]),
    ts: Number(row[1]),
    state: row[2] as HoursEvent["state"],
  });
  const runAll = sqlite.transaction((work: UserWork, rules: HoursRules) => {
    const steps = reprocessUser(work, rules, DIALECTS.sqlite);
    let result = steps.next();
    while (!result.done) {
      const { kind, sql, params } = result.value;
      const statement = prepare(kind, sql);
      let reply: Reply = [];
      // Row by row: a user's whole window is never held twice, as rows and as events.
      if (kind === "events") for (const row of statement.iterate(...params)) reply.push(toEvent(row as unknown[]));
      else if (kind === "all") reply = statement.all(...params) as Rows;
      else statement.run(...params);
      result = steps.next(reply);
    }
    return result.value;
  });
  return async (work, rules) => runAll.immediate(work, rules);
}

function postgresProcessor(client: PoolClient): UserProcessor {
  return async (work, rules) => {
    await client.query("BEGIN");
    try {
      const steps = reprocessUser(work, rules, DIALECTS.postgresql);
      let result = steps.next();
      while (!result.done) {
        const { kind, sql, params } = result.value;
        const { rows } = await client.query(toNumberedPlaceholders(sql), params);
        result = steps.next(kind === "events" ? toEvents(rows) : rows);
      }
      await client.query("COMMIT");
      return result.value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  };
}

/**
 * Opens what the engine needs for one run; `release` must be called when the run ends, with
 * `discard` when the connection may still hold session state (an advisory lock).
 */
export async function openProcessor(
  db: Db,
): Promise<{ process: UserProcessor; release: (discard?: boolean) => Promise<void>; client?: PoolClient }> {
  if (db.provider === "sqlite") return { process: sqliteProcessor(db), release: async () => undefined };
  const client = await db.pool!.connect();
  return { process: postgresProcessor(client), release: async (discard = false) => client.release(discard), client };
}

/** The span of instants a range of local dates covers, for rebuilding part of the history. */
export function instantsOfDates(from: LocalDate, to: LocalDate, timeZone: string): { fromTs: number; toTs: number } {
  return { fromTs: startOfLocalDay(from, timeZone), toTs: startOfLocalDay(addDays(to, 1), timeZone) - 1 };
}
