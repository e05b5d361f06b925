import { createHash } from "node:crypto";
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
 * "values" reads rows as arrays of values, "reads" several such reads at once; "scan" opens a read and gives back its first `size` of them, "more" the
 * next `size` (none once it is exhausted), "close" ends it: so that a window of any size is
 * read in chunks and never held. "dequeue" removes the stream's queue entry if its revision is
 * still the one read, before the transaction commits.
 */
/** A parameter: PostgreSQL also takes arrays, for statements that write many rows at once. */
type Param = SqlValue | SqlValue[];
type Query = { sql: string; params: Param[] };
type Step =
  | ({ kind: "all" | "run" | "values" } & Query)
  | { kind: "reads"; reads: Query[] }
  | ({ kind: "scan"; size: number } & Query)
  | { kind: "more"; size: number }
  | { kind: "close" }
  | { kind: "dequeue"; userKey: string; deviceKey: string; revision: number };
type Rows = Record<string, unknown>[];
type Values = unknown[][];
type Reply = Rows | Values | Values[];

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

const firstPage = ({ sql, params }: Query): Query => ({ sql: `${sql} LIMIT ${WINDOW_FIRST_CHUNK}`, params });

/**
 * Reads events in the order `compare` gives until `find` names the window's edge, carrying the
 * last instant seen into the next chunk; `fallback` when the events end first. Most edges lie
 * among the first few events: one plain read (`firstPage`, the query's firstPage, read with the
 * other edge's) finds them, and a chunked read (a cursor on PostgreSQL) starts again from the
 * first event only past them.
 */
function* findEdge(
  { sql, params }: Query,
  firstPage: HoursEvent[],
  compare: (a: HoursEvent, b: HoursEvent) => number,
  d: Dialect,
  find: (events: HoursEvent[], from: number) => number | null,
  from: number,
  fallback: number,
): Generator<Step, number, Reply> {
  // Sorted here, because PostgreSQL reads both first pages in one statement that need not keep their order.
  const first = [...firstPage].sort(compare);
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

/** Rows per statement where PostgreSQL writes many rows at once, as arrays. */
const PG_ARRAY_ROWS = 5_000;

/**
 * Replaces a stream's or a user's periods in a span: the rows `replaced.where` selects give way
 * to `rows`. Gives back the dates the old rows covered, when asked, and the answer to
 * `replaced.then`, a read of rows the replacement does not touch. SQLite runs in this process,
 * so one prepared statement per row costs as little as any; PostgreSQL pays a round trip per
 * statement, so it does all of it in one, the new rows passed as arrays.
 */
function* replacePeriods(
  d: Dialect,
  userKey: string,
  table: "device_periods" | "work_periods",
  device: string[],
  rows: StoredPiece[],
  replaced: { where: string; params: SqlValue[]; dates?: boolean; then?: Query },
): Generator<Step, { dates: LocalDate[]; then: Rows }, Reply> {
  const columns = `user_key, ${device.length ? "device_key, " : ""}work_date, start_ts, end_ts, last_event_id`;
  const datesOf = (old: Rows) => old.map((row) => String(row.work_date));
  if (d !== DIALECTS.postgresql) {
    const old = replaced.dates
      ? ((yield {
          kind: "all",
          sql: `SELECT DISTINCT work_date FROM ${table} WHERE ${replaced.where}`,
          params: replaced.params,
        }) as Rows)
      : [];
    yield { kind: "run", sql: `DELETE FROM ${table} WHERE ${replaced.where}`, params: replaced.params };
    const sql = `INSERT INTO ${table} (${columns}) VALUES (?, ${device.length ? "?, " : ""}?, ${d.at}, ${d.at}, ?)`;
    for (const piece of rows)
      yield { kind: "run", sql, params: [userKey, ...device, piece.date, piece.start, piece.end, piece.lastEventId] };
    const then = replaced.then ? ((yield { kind: "all", ...replaced.then }) as Rows) : [];
    return { dates: datesOf(old), then };
  }
  const insert = `INSERT INTO ${table} (${columns})
    SELECT ?, ${device.length ? "?, " : ""}p.work_date, to_timestamp(p.s / 1000), to_timestamp(p.e / 1000), p.l
    FROM unnest(?::text[], ?::float8[], ?::float8[], ?::int[]) WITH ORDINALITY AS p(work_date, s, e, l, n) ORDER BY p.n`;
  const arrays = (batch: StoredPiece[]): Param[] => [
    userKey,
    ...device,
    batch.map((piece) => piece.date),
    batch.map((piece) => piece.start),
    batch.map((piece) => piece.end),
    batch.map((piece) => piece.lastEventId),
  ];
  // The statement's reads see the tables as they were before it, so `then` must not read the rows replaced.
  const answer = replaced.then ?? { sql: "SELECT DISTINCT work_date FROM gone", params: [] };
  const answered = (yield {
    kind: "all",
    sql: `WITH gone AS (DELETE FROM ${table} WHERE ${replaced.where} RETURNING work_date), added AS (${insert})
      ${answer.sql}`,
    params: [...replaced.params, ...arrays(rows.slice(0, PG_ARRAY_ROWS)), ...answer.params],
  }) as Rows;
  for (let first = PG_ARRAY_ROWS; first < rows.length; first += PG_ARRAY_ROWS)
    yield { kind: "run", sql: insert, params: arrays(rows.slice(first, first + PG_ARRAY_ROWS)) };
  return replaced.then ? { dates: [], then: answered } : { dates: datesOf(answered), then: [] };
}

/**
 * Writes the day summaries of `dates` (sorted) from the user's merged periods, and removes
 * those of dates left with none. Summed in SQL, so that a day of very many periods is never
 * held here a second time; on PostgreSQL in one statement.
 */
function* writeSummaries(
  dates: LocalDate[],
  userKey: string,
  rules: HoursRules,
  d: Dialect,
): Generator<Step, void, Reply> {
  const span = `${d.ms("end_ts")} - ${d.ms("start_ts")}`;
  const now = Date.now();
  const columns = `user_key, username, work_date, real_hours_counted, working_seconds, first_activity, last_activity,
    last_processed_event_id, updated_at`;
  const upsert = `ON CONFLICT (user_key, work_date) DO UPDATE SET username = excluded.username,
    real_hours_counted = excluded.real_hours_counted, working_seconds = excluded.working_seconds,
    first_activity = excluded.first_activity, last_activity = excluded.last_activity,
    last_processed_event_id = excluded.last_processed_event_id, updated_at = excluded.updated_at`;
  if (d === DIALECTS.postgresql) {
    yield {
      kind: "run",
      sql: `WITH sums AS (
          SELECT work_date, SUM(${span}) AS ms, SUM(floor((${span}) / ?::float8)) AS real_hours,
            MIN(start_ts) AS first_at, MAX(end_ts) AS last_at, MAX(last_event_id) AS last_id
          FROM work_periods WHERE user_key = ? AND work_date = ANY (?::text[]) GROUP BY work_date
        ), written AS (
          INSERT INTO user_real_work_summary (${columns})
          SELECT ?, COALESCE((SELECT display_name FROM tracked_users WHERE user_key = ?), ?), work_date, real_hours,
            floor(ms / 1000), first_at, last_at, last_id, ${d.at}
          FROM sums ${upsert}
        )
        DELETE FROM user_real_work_summary WHERE user_key = ? AND work_date = ANY (?::text[])
          AND work_date NOT IN (SELECT work_date FROM sums)`,
      params: [rules.blockMs, userKey, dates, userKey, userKey, userKey, now, userKey, dates],
    };
    return;
  }
  const wanted = new Set(dates);
  const summaries = (
    (yield {
      kind: "all",
      sql: `SELECT work_date, SUM(${span}) AS ms, SUM(floor((${span}) / ?)) AS real_hours,
           MIN(${d.ms("start_ts")}) AS first_ts, MAX(${d.ms("end_ts")}) AS last_ts, MAX(last_event_id) AS last_id
         FROM work_periods WHERE user_key = ? AND work_date >= ? AND work_date <= ? GROUP BY work_date ORDER BY work_date`,
      params: [rules.blockMs, userKey, dates[0], dates[dates.length - 1]],
    }) as Rows
  ).filter((row) => wanted.has(String(row.work_date)));
  const [user] = (yield {
    kind: "all",
    sql: `SELECT display_name FROM tracked_users WHERE user_key = ?`,
    params: [userKey],
  }) as Rows;
  const username = user ? String(user.display_name) : userKey;
  for (const row of summaries) {
    yield {
      kind: "run",
      sql: `INSERT INTO user_real_work_summary (${columns}) VALUES (?, ?, ?, ?, ?, ${d.at}, ${d.at}, ?, ${d.at}) ${upsert}`,
      params: [
        userKey,
        username,
        String(row.work_date),
        Number(row.real_hours),
        Math.floor(Number(row.ms) / 1000),
        Number(row.first_ts),
        Number(row.last_ts),
        Number(row.last_id),
        now,
      ],
    };
  }
  const kept = new Set(summaries.map((row) => String(row.work_date)));
  for (const date of dates) {
    if (!kept.has(date))
      yield {
        kind: "run",
        sql: `DELETE FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`,
        params: [userKey, date],
      };
  }
}

/**
 * Re-derives one device stream's periods around its events in [fromTs, toTs] (rules 1–5), then
 * the user's merged periods wherever those can reach (rule 6), then the day summaries of every
 * date touched (rules 7–8), as a sequence of SQL steps, so that SQLite can run it synchronously
 * inside one write transaction and PostgreSQL asynchronously inside another.
 */
function* reprocessStream(work: StreamWork, rules: HoursRules, d: Dialect): Generator<Step, ReprocessOutcome, Reply> {
  const scan = (sql: string, params: SqlValue[], size: number): Step => ({ kind: "scan", sql, params, size });
  const { userKey, deviceKey } = work;
  const stream = [userKey, deviceKey];
  const events = `SELECT id, ${d.ms("ts")} AS ts, state FROM work_events WHERE user_key = ? AND device_key = ?`;

  // The window runs from the stream's last closure before fromTs to its first one after toTs (window.ts).
  const before: Query = {
    sql: `${events} AND ts < ${d.at} ORDER BY ${d.newestFirst}`,
    params: [...stream, work.fromTs],
  };
  const after: Query = { sql: `${events} AND ts > ${d.at} ORDER BY ${d.oldestFirst}`, params: [...stream, work.toTs] };
  const inWindow = `${events} AND ts >= ${d.at} AND ts <= ${d.at} ORDER BY ${d.oldestFirst}`;
  // With the first page on each side, the events of [fromTs, toTs] themselves, while they are few.
  const [beforeRows, afterRows, middleRows] = (yield {
    kind: "reads",
    reads: [
      firstPage(before),
      firstPage(after),
      { sql: `${inWindow} LIMIT ${SCAN_CHUNK + 1}`, params: [...stream, work.fromTs, work.toTs] },
    ],
  }) as Values[];
  const beforePage = toEvents(beforeRows);
  const afterPage = toEvents(afterRows);
  let start = yield* findEdge(
    before,
    beforePage,
    newestFirst,
    d,
    (chunk, from) => findWindowStart(chunk, from, rules.gapMs),
    work.fromTs,
    MIN_TS,
  );
  if (start === MIN_TS) {
    // The stream's older events ran out: start at its oldest kept event, never at 0. Periods
    // before it were derived from events pruned at a closure point (retention) and must stay.
    // The first pages name it unless the older side was longer than its page.
    const known = [...beforePage, ...toEvents(middleRows.slice(0, 1)), ...afterPage];
    if (beforeRows.length < WINDOW_FIRST_CHUNK)
      start = known.length ? Math.min(...known.map((event) => event.ts)) : MAX_TS;
    else {
      const [oldest] = (yield {
        kind: "all",
        sql: `SELECT ${d.ms("MIN(ts)")} AS ts FROM work_events WHERE user_key = ? AND device_key = ?`,
        params: stream,
      }) as Rows;
      start = oldest?.ts === null || oldest?.ts === undefined ? MAX_TS : Number(oldest.ts);
    }
  }
  const end = yield* findEdge(
    after,
    afterPage,
    compareEvents,
    d,
    (chunk, from) => findWindowEnd(chunk, from, rules.gapMs),
    work.toTs,
    MAX_TS,
  );

  const deriver = createPieceDeriver(rules);
  let eventCount = 0;
  // A first page holds its side of the window when it is the whole side or reaches past the
  // edge: it holds every event up to its farthest instant (some of those, maybe not all).
  const holds = (page: HoursEvent[], beyond: (ts: number) => boolean) =>
    page.length < WINDOW_FIRST_CHUNK || page.some((event) => beyond(event.ts));
  if (middleRows.length <= SCAN_CHUNK && holds(beforePage, (ts) => ts < start) && holds(afterPage, (ts) => ts > end)) {
    // The whole window is read already: most late events' windows are a few hundred events.
    const window = beforePage
      .filter((event) => event.ts >= start)
      .concat(
        toEvents(middleRows),
        afterPage.filter((event) => event.ts <= end),
      )
      .sort(compareEvents);
    for (const event of window) deriver.add(event);
    eventCount = window.length;
  } else {
    const inOrder = orderChunks(compareEvents, d);
    let chunk = (yield scan(inWindow, [...stream, start, end], SCAN_CHUNK)) as Values;
    for (;;) {
      for (const event of inOrder(toEvents(chunk))) deriver.add(event);
      eventCount += chunk.length;
      if (!chunk.length) break;
      chunk = (yield { kind: "more", size: SCAN_CHUNK }) as Values;
    }
    yield { kind: "close" };
  }
  const pieces = deriver.finish();

  // The merged periods the change can reach: those overlapping or touching the window and,
  // through them, every piece of any device that overlaps or touches those, until none is left.
  const reachOf = (table: string) =>
    `SELECT MIN(${d.ms("start_ts")}) AS low, MAX(${d.ms("end_ts")}) AS high, COUNT(*) AS n FROM ${table}
     WHERE user_key = ? AND end_ts >= ${d.at} AND start_ts <= ${d.at}`;
  const reach = (low: number, high: number): Query => ({
    sql: `SELECT MIN(low) AS low, MAX(high) AS high, SUM(others) AS others FROM (
      SELECT low, high, 0 AS others FROM (${reachOf("work_periods")}) merged
      UNION ALL
      SELECT low, high, n AS others FROM (${reachOf("device_periods")} AND device_key <> ?) devices
    ) reach`,
    params: [userKey, low, high, userKey, low, high, deviceKey],
  });
  // The first look at the reach reads no row of this stream's, so it comes with the stream's
  // new pieces.
  let [row] = (yield* replacePeriods(d, userKey, "device_periods", [deviceKey], pieces, {
    where: `user_key = ? AND device_key = ? AND start_ts >= ${d.at} AND start_ts <= ${d.at}`,
    params: [...stream, start, end],
    then: reach(start, end),
  })).then;
  let low = start;
  let high = end;
  let othersInReach = 0;
  for (;;) {
    othersInReach = Number(row.others);
    const nextLow = row.low === null ? low : Math.min(low, Number(row.low));
    const nextHigh = row.high === null ? high : Math.max(high, Number(row.high));
    if (nextLow === low && nextHigh === high) break;
    low = nextLow;
    high = nextHigh;
    [row] = (yield { kind: "all", ...reach(low, high) }) as Rows;
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

  const { dates: oldDates } = yield* replacePeriods(d, userKey, "work_periods", [], merged, {
    where: `user_key = ? AND start_ts >= ${d.at} AND start_ts <= ${d.at}`,
    params: [userKey, low, high],
    dates: true,
  });
  const dates = new Set<LocalDate>(oldDates);
  for (const piece of merged) dates.add(piece.date);
  if (dates.size) yield* writeSummaries([...dates].sort(), userKey, rules, d);
  if (work.revision !== null) yield { kind: "dequeue", userKey, deviceKey, revision: work.revision };
  return { events: eventCount, dates: dates.size };
}

/**
 * Runs each stream's steps, in order, in transactions of the given database, and tells `done`
 * of each stream once its transaction has committed.
 */
export type StreamProcessor = (
  work: StreamWork[],
  rules: HoursRules,
  done: (work: StreamWork, outcome: ReprocessOutcome) => void,
) => Promise<void>;

const DEQUEUE = `DELETE FROM hours_queue WHERE user_key = ? AND device_key = ? AND revision = ?`;

function sqliteProcessor(db: Db): StreamProcessor {
  const sqlite = db.sqlite!;
  const statements = new Map<string, Statement>();
  const prepare = (kind: Step["kind"], sql: string) => {
    const key = `${kind}:${sql}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = sqlite.prepare(sql);
      // Reads of values come back as arrays, which better-sqlite3 builds faster than objects.
      if (kind === "scan") statement.raw(true);
      statements.set(key, statement);
    }
    return statement;
  };
  const values = ({ sql, params }: Query) => prepare("scan", sql).all(...params) as Values;
  // One transaction per stream: SQLite's write lock is the whole database's, and commits are cheap.
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
        } else if (step.kind === "values") reply = values(step);
        else if (step.kind === "reads") reply = step.reads.map(values);
        else if (step.kind === "all") reply = prepare("all", step.sql).all(...step.params) as Rows;
        else if (step.kind === "dequeue") prepare("run", DEQUEUE).run(step.userKey, step.deviceKey, step.revision);
        else prepare("run", step.sql).run(...step.params);
        result = steps.next(reply);
      }
      return result.value;
    } finally {
      open?.return?.();
    }
  });
  return async (work, rules, done) => {
    for (const item of work) {
      done(item, runAll.immediate(item, rules));
      // Let requests waiting on this process be served between streams.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
}

/**
 * How long a PostgreSQL transaction keeps taking further streams: one commit (and its WAL
 * flush) then serves many small streams. The queue entries are removed at its end only, so
 * ingest, which bumps them, never waits on more than that last statement.
 */
const PG_BATCH_MS = 100;

/** Statement names by text: parsed once per connection, then only bound and run. */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 200;

function asNamedQuery(sql: string, values: Param[], rowMode?: "array") {
  const text = toNumberedPlaceholders(sql);
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_STATEMENT_NAMES) {
    name = `hours_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values, ...(rowMode ? { rowMode } : {}) };
}

/**
 * Connections working beside the one holding the engine's lock, in a run of many users: while
 * PostgreSQL runs one lane's statements, this process prepares another's, and the database
 * works on several at once. Each lane takes whole users, so no two lanes write the same rows.
 */
const PG_EXTRA_LANES = 2;
const PG_USERS_PER_LANE = 16;
/** Connections left in the pool for ingest and the pages when lanes are taken. */
const PG_POOL_RESERVE = 4;

type Lanes = { take: () => StreamWork[] | undefined; rules: HoursRules; done: Parameters<StreamProcessor>[2] };

/** The streams of each user together, in the order given (by user). */
function groupByUser(work: StreamWork[]): StreamWork[][] {
  const groups: StreamWork[][] = [];
  for (const item of work) {
    const last = groups[groups.length - 1];
    if (last && last[0].userKey === item.userKey) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

async function takeExtraClients(db: Db, wanted: number): Promise<PoolClient[]> {
  const pool = db.pool!;
  const free = (pool.options.max ?? 10) - pool.totalCount + pool.idleCount - pool.waitingCount;
  const count = Math.max(0, Math.min(wanted, free - PG_POOL_RESERVE));
  const settled = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  return settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
}

function postgresProcessor(db: Db, lockClient: PoolClient): StreamProcessor {
  return async (work, rules, done) => {
    const groups = groupByUser(work);
    const extra = await takeExtraClients(db, Math.min(PG_EXTRA_LANES, Math.floor(groups.length / PG_USERS_PER_LANE)));
    let next = 0;
    let failed = false;
    const lanes: Lanes = { take: () => (failed ? undefined : groups[next++]), rules, done };
    const settled = await Promise.allSettled(
      [lockClient, ...extra].map((client) =>
        runLane(client, lanes).catch((error: unknown) => {
          // The other lanes finish the transaction they are in and stop.
          failed = true;
          throw error;
        }),
      ),
    );
    settled.forEach((result, i) => i > 0 && extra[i - 1].release(result.status === "rejected"));
    const failure = settled.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
  };
}

async function runLane(client: PoolClient, lanes: Lanes): Promise<void> {
  for (let group = lanes.take(); group; group = lanes.take()) {
    const batch = [...group];
    // A transaction is rolled back whole on a deadlock or serialization failure, and its
    // streams derive the same result when run again.
    const outcomes = await retryTransientConflicts("hours engine", () => processBatch(client, batch, lanes));
    outcomes.forEach((outcome, i) => lanes.done(batch[i], outcome));
  }
}

/** Runs `batch`, and more users' streams while the transaction is young, adding them to `batch`. */
async function processBatch(client: PoolClient, batch: StreamWork[], lanes: Lanes): Promise<ReprocessOutcome[]> {
  const started = performance.now();
  await client.query("BEGIN");
  try {
    const outcomes: ReprocessOutcome[] = [];
    const dequeue: Dequeue = { users: [], devices: [], revisions: [] };
    let cursors = 0;
    for (;;) {
      while (outcomes.length < batch.length)
        outcomes.push(await processStream(client, batch[outcomes.length], lanes.rules, dequeue, () => ++cursors));
      const more = performance.now() - started < PG_BATCH_MS ? lanes.take() : undefined;
      if (!more) break;
      batch.push(...more);
    }
    if (dequeue.users.length)
      await client.query(
        asNamedQuery(
          `DELETE FROM hours_queue q USING unnest(?::text[], ?::text[], ?::int[]) AS x(user_key, device_key, revision)
           WHERE q.user_key = x.user_key AND q.device_key = x.device_key AND q.revision = x.revision`,
          [dequeue.users, dequeue.devices, dequeue.revisions],
        ),
      );
    await client.query("COMMIT");
    return outcomes;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

type Dequeue = { users: string[]; devices: string[]; revisions: number[] };

async function processStream(
  client: PoolClient,
  work: StreamWork,
  rules: HoursRules,
  dequeue: Dequeue,
  nextCursor: () => number,
): Promise<ReprocessOutcome> {
  const steps = reprocessStream(work, rules, DIALECTS.postgresql);
  const values = async ({ sql, params }: Query) =>
    (await client.query<unknown[]>(asNamedQuery(sql, params, "array"))).rows;
  // A scan first reads one row more than a chunk: most windows fit, and need no cursor. A
  // larger one is read again through a cursor, so that the driver never hands over more than
  // one chunk of it at once.
  let cursor = "";
  let exhausted = true;
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
      const rows = await values({ sql: `${step.sql} LIMIT ${step.size + 1}`, params: step.params });
      if (rows.length <= step.size) reply = rows;
      else {
        cursor = `engine_scan_${nextCursor()}`;
        await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${toNumberedPlaceholders(step.sql)}`, step.params);
        exhausted = false;
        reply = await fetch(step.size);
      }
    } else if (step.kind === "more") reply = await fetch(step.size);
    else if (step.kind === "close") {
      if (cursor) await client.query(`CLOSE ${cursor}`);
      cursor = "";
      exhausted = true;
    } else if (step.kind === "values") reply = await values(step);
    else if (step.kind === "reads") {
      // All in one round trip, each row tagged with its read in a last column, which readers ignore.
      const rows = await values({
        sql: step.reads.map((read, i) => `SELECT r${i}.*, ${i} FROM (${read.sql}) r${i}`).join(" UNION ALL "),
        params: step.reads.flatMap((read) => read.params),
      });
      const replies: Values[] = step.reads.map(() => []);
      for (const row of rows) replies[row[row.length - 1] as number].push(row);
      reply = replies;
    } else if (step.kind === "dequeue") {
      dequeue.users.push(step.userKey);
      dequeue.devices.push(step.deviceKey);
      dequeue.revisions.push(step.revision);
    } else reply = (await client.query(asNamedQuery(step.sql, step.params))).rows;
    result = steps.next(reply);
  }
  return result.value;
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
  return {
    process: postgresProcessor(db, client),
    release: async (discard = false) => client.release(discard),
    client,
  };
}

/** The span of instants a range of local dates covers, for rebuilding part of the history. */
export function instantsOfDates(from: LocalDate, to: LocalDate, timeZone: string): { fromTs: number; toTs: number } {
  return { fromTs: startOfLocalDay(from, timeZone), toTs: startOfLocalDay(addDays(to, 1), timeZone) - 1 };
}
