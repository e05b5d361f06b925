// Synthetic activity for the hours benchmark (scripts/bench/hours.ts): working days of agent
// heartbeats as DESIGN §7 describes them, and bulk loaders that write them the way EventStore
// would (work_events, tracked_users, hours_queue) but in big transactions, for speed.
import Database from "better-sqlite3";
import type pg from "pg";
import type { HoursRules } from "../../lib/hours/periods.ts";
import type { ParsedEvent } from "../../lib/ingest/schema.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../../lib/time.ts";
import { createRandom } from "../../lib/demo/generate.ts";
import {
  findOwnRun,
  NEWER_THAN_STORED,
  type OwnRun,
  PG_QUEUE_HOURS,
  PG_UPSERT_DEVICES,
  SQLITE_QUEUE_HOURS,
  SQLITE_UPSERT_DEVICE,
  SQLITE_UPSERT_USER,
} from "../../lib/ingest/store.ts";

type BenchState = "working" | "stopped";
/** `user` is an index into Population. */
export type BenchEvent = { user: number; ts: number; state: BenchState };

export const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// The defaults of DESIGN §3, fixed here so that a local config.env cannot change the figures.
export const RULES: HoursRules = { gapMs: 15 * MINUTE, blockMs: 40 * MINUTE, timeZone: "Asia/Dubai" };
/** The agent's defaults (DESIGN §7): idle after 5 minutes, an idle heartbeat every 5 minutes. */
const IDLE_THRESHOLD = 5 * MINUTE;
const IDLE_REPORT = 5 * MINUTE;

/** A small, fast, seedable PRNG: the same seed gives the same data on every run. */
const random = createRandom;

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Population {
  readonly usernames: string[];
  readonly userKeys: string[];
  constructor(readonly size: number) {
    this.usernames = Array.from({ length: size }, (_, i) => `CORP\\Bench.User${String(i).padStart(4, "0")}`);
    this.userKeys = this.usernames.map((name) => name.toLowerCase());
  }
}

/** When the server received an event: a little after it happened, as for an agent online. */
const receivedAtOf = (ts: number) => ts + 200 + (ts % 1800);

/**
 * One user's events on one local date, in time order: a working day of 2–4 stretches of
 * one-minute `working` heartbeats (each stamped at the latest input), each stretch closed by a
 * `stopped` at the last input, then `stopped` idle heartbeats every 5 minutes through the
 * break. About 4% of days are absent; about 3% have an evening stretch that may run past
 * midnight. The same (user, date) always gives the same events.
 */
function userDay(user: number, date: LocalDate, timeZone: string): BenchEvent[] {
  const rand = random(hash(`${date}|${user}`));
  const events: BenchEvent[] = [];
  if (rand() < 0.04) return events;
  const dayStart = startOfLocalDay(date, timeZone);
  const stretches = 2 + Math.floor(rand() * 3);
  const workMs = 6.5 * HOUR + rand() * 2 * HOUR;
  const weights = Array.from({ length: stretches }, () => 0.5 + rand());
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const stretch = (start: number, length: number, tailMs: number): number => {
    events.push({ user, ts: start, state: "working" });
    let ts = start;
    for (let m = MINUTE; m <= length; m += MINUTE) {
      // The poll a minute later reports the latest input, a few seconds before the poll.
      ts = start + m - Math.floor(rand() * 20_000);
      events.push({ user, ts, state: "working" });
    }
    const lastInput = ts + 1 + Math.floor(rand() * 40_000);
    events.push({ user, ts: lastInput, state: "stopped" });
    const next = lastInput + tailMs;
    // Idle detected at lastInput + threshold (that is when the stopped above is sent), then
    // one heartbeat stamped "now" every IDLE_REPORT minutes.
    for (let h = lastInput + IDLE_THRESHOLD + IDLE_REPORT; h + 1000 < next; h += IDLE_REPORT) {
      events.push({ user, ts: h + Math.floor(rand() * 1000), state: "stopped" });
    }
    return next;
  };
  let t = dayStart + 7.5 * HOUR + Math.floor(rand() * 2 * HOUR);
  for (let i = 0; i < stretches; i++) {
    const length = Math.max(10 * MINUTE, Math.floor((workMs * weights[i]) / weightSum));
    const last = i === stretches - 1;
    // Breaks of 10–60 minutes; after the last stretch the session stays up 0–30 minutes.
    const tail = last ? Math.floor(rand() * 31) * MINUTE + 1000 : (10 + Math.floor(rand() * 51)) * MINUTE;
    t = stretch(t, length, tail);
  }
  if (rand() < 0.03) {
    const start = Math.max(t + 30 * MINUTE, dayStart + 20 * HOUR + Math.floor(rand() * HOUR));
    stretch(start, 2 * HOUR + Math.floor(rand() * 3 * HOUR), 20 * MINUTE);
  }
  return events;
}

/** Every user's events of one date, in time order (ids are given in this order). */
function dayOfEvents(population: Population, date: LocalDate, timeZone: string): BenchEvent[] {
  const events: BenchEvent[] = [];
  for (let user = 0; user < population.size; user++)
    for (const event of userDay(user, date, timeZone)) events.push(event);
  return events.sort((a, b) => a.ts - b.ts || a.user - b.user);
}

const isWeekday = (date: LocalDate) => {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day !== 0 && day !== 6;
};

/** The weekdays, oldest first, that hold about `events` events and end on the last weekday before `today`. */
export function planDays(population: Population, events: number, timeZone: string, now = Date.now()): LocalDate[] {
  let last = addDays(localDateOf(now, timeZone), -1);
  while (!isWeekday(last)) last = addDays(last, -1);
  const perDay = dayOfEvents(population, last, timeZone).length;
  const count = Math.ceil(events / Math.max(perDay, 1)) + 1;
  const days: LocalDate[] = [];
  for (let date = last; days.length < count; date = addDays(date, -1)) if (isWeekday(date)) days.unshift(date);
  return days;
}

/** Where an EventStream is: enough to carry on from there in another process. */
export type StreamState = { days: LocalDate[]; next: number; at: number; dates: LocalDate[] };

/** The planned days' events in time order, handed out in chunks; carries on past the plan if it runs short. */
export class EventStream {
  private day: BenchEvent[] = [];
  private at = 0;
  private next = 0;
  /** Dates that have handed out at least one event. */
  readonly dates: LocalDate[] = [];
  constructor(
    private population: Population,
    private days: LocalDate[],
    private timeZone: string,
    state?: StreamState,
  ) {
    if (state) {
      this.days = [...state.days];
      this.next = state.next;
      this.at = state.at;
      this.dates.push(...state.dates);
      if (state.next > 0) this.day = dayOfEvents(population, state.days[state.next - 1], timeZone);
    }
  }

  state(): StreamState {
    return { days: [...this.days], next: this.next, at: this.at, dates: [...this.dates] };
  }

  take(max: number): BenchEvent[] {
    if (this.at >= this.day.length) {
      let date = this.days[this.next];
      if (date === undefined) {
        date = addDays(this.days[this.days.length - 1], 1);
        while (!isWeekday(date)) date = addDays(date, 1);
        this.days.push(date);
      }
      this.next++;
      this.day = dayOfEvents(this.population, date, this.timeZone);
      this.at = 0;
      this.dates.push(date);
    }
    const chunk = this.day.slice(this.at, this.at + max);
    this.at += chunk.length;
    return chunk;
  }
}

// ---- new events, stored through EventStore -----------------------------------------------

/** How many recent days of data the late events fall on, and how many each user sends. */
export const RECENT_DAYS = 3;
export const NEW_EVENTS_PER_USER = 4;

/** Events from `count / NEW_EVENTS_PER_USER` users, each at random instants in the working hours of the last RECENT_DAYS dates. */
export function lateEvents(population: Population, count: number, dates: LocalDate[], seed: number): ParsedEvent[][] {
  const rand = random(seed);
  const perUser = Math.max(NEW_EVENTS_PER_USER, Math.ceil(count / population.size));
  const users = Math.ceil(count / perUser);
  const stride = population.size / users;
  const recent = dates.slice(-RECENT_DAYS);
  const submissions: ParsedEvent[][] = [];
  let left = count;
  for (let i = 0; i < users && left > 0; i++) {
    const user = Math.floor(i * stride + (seed % Math.max(1, Math.floor(stride))));
    const events: ParsedEvent[] = [];
    for (let k = 0; k < perUser && left > 0; k++, left--) {
      const date = recent[Math.floor(rand() * recent.length)];
      const ts = startOfLocalDay(date, RULES.timeZone) + 7 * HOUR + Math.floor(rand() * 11 * HOUR);
      const state: BenchState = rand() < 0.8 ? "working" : "stopped";
      events.push({ userKey: population.userKeys[user], username: population.usernames[user], state, ts });
    }
    submissions.push(events);
  }
  return submissions;
}

/** The next minutes of heartbeats after everything stored: what a 15-minute tick usually finds. */
export function currentEvents(population: Population, count: number, after: LocalDate, seed: number): ParsedEvent[][] {
  const rand = random(seed);
  const perUser = Math.max(NEW_EVENTS_PER_USER, Math.ceil(count / population.size));
  const users = Math.ceil(count / perUser);
  const start = startOfLocalDay(addDays(after, 1), RULES.timeZone) + 8 * HOUR;
  const submissions: ParsedEvent[][] = [];
  let left = count;
  for (let user = 0; user < users && left > 0; user++) {
    const first = start + Math.floor(rand() * HOUR);
    const events: ParsedEvent[] = [];
    for (let k = 0; k < perUser && left > 0; k++, left--) {
      events.push({
        userKey: population.userKeys[user],
        username: population.usernames[user],
        state: "working",
        ts: first + k * MINUTE,
      });
    }
    submissions.push(events);
  }
  return submissions;
}

// ---- bulk loaders -------------------------------------------------------------------------

type Touched = { firstTs: number; lastTs: number; lastState: BenchState; run: OwnRun };

/** Per user in a chunk: the span to re-derive, the latest state and the chunk's own last run, as EventStore computes them. */
function touchedUsers(events: BenchEvent[]): Map<number, Touched> {
  const byUser = new Map<number, BenchEvent[]>();
  for (const e of events) {
    const list = byUser.get(e.user);
    if (list) list.push(e);
    else byUser.set(e.user, [e]);
  }
  return new Map(
    [...byUser].map(([user, list]) => {
      let latest = list[0];
      let firstTs = latest.ts;
      for (const e of list) {
        firstTs = Math.min(firstTs, e.ts);
        if (e.ts > latest.ts || (e.ts === latest.ts && e.state === "stopped")) latest = e;
      }
      return [user, { firstTs, lastTs: latest.ts, lastState: latest.state, run: findOwnRun(list, RULES.gapMs) }];
    }),
  );
}

export type Loader = {
  /** Stores `count` events from the stream; returns the seconds spent writing (generation excluded). */
  load(stream: EventStream, count: number, onChunk?: () => void): Promise<{ seconds: number; generateSeconds: number }>;
  close(): Promise<void>;
};

const CHUNK = 50_000;

/** Takes `count` events from the stream in chunks of CHUNK and writes each, timing the two apart. */
async function loadInChunks(
  stream: EventStream,
  count: number,
  write: (batch: BenchEvent[]) => unknown,
  onChunk?: () => void,
): Promise<{ seconds: number; generateSeconds: number }> {
  let seconds = 0;
  let generateSeconds = 0;
  for (let left = count; left > 0;) {
    const g0 = performance.now();
    let batch: BenchEvent[] = [];
    while (left > 0 && batch.length < CHUNK) {
      const part = stream.take(Math.min(left, CHUNK - batch.length));
      left -= part.length;
      batch = batch.length ? batch.concat(part) : part;
    }
    const w0 = performance.now();
    generateSeconds += (w0 - g0) / 1000;
    await write(batch);
    seconds += (performance.now() - w0) / 1000;
    onChunk?.();
  }
  return { seconds, generateSeconds };
}

/**
 * Writes through a connection of its own with a large page cache (the load is not what is
 * measured); one transaction per 50,000 events, each also upserting tracked_users and
 * hours_queue for the users it touched, as one EventStore commit would.
 */
export function sqliteLoader(file: string, population: Population): Loader {
  const sqlite = new Database(file, { timeout: 5000 });
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("cache_size = -131072");
  const insertEvent = sqlite.prepare(
    `INSERT INTO work_events (user_key, username, state, ts, received_at) VALUES (?, ?, ?, ?, ?)`,
  );
  // The statements EventStore commits with, so the tables end up as the server would leave them.
  const upsertUser = sqlite.prepare(SQLITE_UPSERT_USER);
  const upsertDevice = sqlite.prepare(SQLITE_UPSERT_DEVICE);
  const queueHours = sqlite.prepare(SQLITE_QUEUE_HOURS);
  const { usernames, userKeys } = population;
  const write = sqlite.transaction((events: BenchEvent[]) => {
    for (const e of events) insertEvent.run(userKeys[e.user], usernames[e.user], e.state, e.ts, receivedAtOf(e.ts));
    for (const [user, t] of touchedUsers(events)) {
      upsertUser.run(userKeys[user], usernames[user], receivedAtOf(t.firstTs), t.lastTs, t.lastState);
      upsertDevice.run(
        userKeys[user],
        "",
        "",
        t.firstTs,
        t.lastTs,
        t.lastState,
        null,
        null,
        t.run.since,
        t.run.afterOther ? 1 : 0,
        RULES.gapMs,
      );
      queueHours.run(userKeys[user], "", t.firstTs, t.lastTs);
    }
  });
  return {
    load: (stream, count, onChunk) => loadInChunks(stream, count, (batch) => write.immediate(batch), onChunk),
    async close() {
      sqlite.pragma("wal_checkpoint(TRUNCATE)");
      sqlite.close();
    },
  };
}

const PG_ROWS_PER_STATEMENT = 10_000;

/** The same on PostgreSQL: unnest batches of 10,000 rows, one transaction per 50,000 events. */
export async function postgresLoader(pool: pg.Pool, population: Population): Promise<Loader> {
  const client = await pool.connect();
  const { usernames, userKeys } = population;
  const write = async (events: BenchEvent[]) => {
    await client.query("BEGIN");
    try {
      for (let i = 0; i < events.length; i += PG_ROWS_PER_STATEMENT) {
        const part = events.slice(i, i + PG_ROWS_PER_STATEMENT);
        await client.query(
          `INSERT INTO work_events (user_key, username, state, ts, received_at)
           SELECT u, n, s, to_timestamp(t / 1000.0), to_timestamp(r / 1000.0)
           FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[]) AS x(u, n, s, t, r)`,
          [
            part.map((e) => userKeys[e.user]),
            part.map((e) => usernames[e.user]),
            part.map((e) => e.state),
            part.map((e) => e.ts),
            part.map((e) => receivedAtOf(e.ts)),
          ],
        );
      }
      const touched = [...touchedUsers(events)];
      const keys = touched.map(([user]) => userKeys[user]);
      await client.query(
        `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state)
         SELECT u, n, to_timestamp(f / 1000.0), to_timestamp(t / 1000.0), s
         FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[]) AS x(u, n, f, t, s)
         ON CONFLICT (user_key) DO UPDATE SET last_event_at = excluded.last_event_at, last_state = excluded.last_state
         WHERE ${NEWER_THAN_STORED}`,
        [
          keys,
          touched.map(([user]) => usernames[user]),
          touched.map(([, t]) => receivedAtOf(t.firstTs)),
          touched.map(([, t]) => t.lastTs),
          touched.map(([, t]) => t.lastState),
        ],
      );
      await client.query(PG_QUEUE_HOURS, [
        keys,
        keys.map(() => ""),
        touched.map(([, t]) => t.firstTs),
        touched.map(([, t]) => t.lastTs),
      ]);
      await client.query(PG_UPSERT_DEVICES, [
        keys,
        keys.map(() => ""),
        keys.map(() => ""),
        touched.map(([, t]) => t.firstTs),
        touched.map(([, t]) => t.lastTs),
        touched.map(([, t]) => t.lastState),
        keys.map(() => null),
        null,
        touched.map(([, t]) => t.run.since),
        touched.map(([, t]) => t.run.afterOther),
        RULES.gapMs,
      ]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  };
  return {
    load: (stream, count, onChunk) => loadInChunks(stream, count, write, onChunk),
    async close() {
      client.release();
    },
  };
}
