/*
 * Live status per (user, device) stream, and how a user's devices combine into one status
 * (DESIGN §6): a device is working or idle while its latest event is no older than the gap,
 * offline after that; the user is working if any device is, else idle if any is, else offline.
 * This is the named entry point into lib/devices for lib/reports and lib/ingest (see
 * .dependency-cruiser.cjs).
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/index.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";
import type { EventState } from "../users.ts";

export type LiveStatus = "working" | "idle" | "offline";

/** One (user, device) stream as tracked_devices keeps it, with its status at `now`. */
export type StreamStatus = {
  userKey: string;
  deviceKey: string;
  /** The device's name as first sent; '' for the unnamed device. */
  device: string;
  agent: string | null;
  tokenId: number | null;
  firstEvent: number;
  lastSeen: number;
  status: LiveStatus;
  /** When the status began, epoch ms. */
  since: number;
  /** When the stream was last seen working, if that is known to be where its current status began. */
  workedUntil: number | null;
};

type Row = { ts: number; state: EventState };

/** The latest event of a run, when the run began, and whether the other state came right before it. */
export type Current = { latestTs: number; latestState: EventState; since: number; afterOtherState: boolean };

/**
 * The newest event of a stream's events (given newest first, in DESIGN §5.1 order reversed)
 * and when its run began: walking back until an event of the other state or a silence longer
 * than the gap. Stops reading there, so a long history costs only its last run.
 */
export function findCurrentRun(newestFirst: Iterable<Row>, gapMs: number): Current | null {
  let current: Current | null = null;
  for (const event of newestFirst) {
    if (!current) {
      current = { latestTs: event.ts, latestState: event.state, since: event.ts, afterOtherState: false };
      continue;
    }
    const silent = gapMs > 0 && current.since - event.ts > gapMs;
    if (event.state !== current.latestState || silent) {
      current.afterOtherState = !silent && event.state !== current.latestState;
      break;
    }
    current.since = event.ts;
  }
  return current;
}

const SQLITE_PAGE = 128;

/** One stream's events newest first, read a page at a time as the caller asks for more. */
function* pagesOf(page: Statement, userKey: string, deviceKey: string): Generator<Row> {
  let after: Row = { ts: Number.MAX_SAFE_INTEGER, state: "stopped" };
  for (;;) {
    const rows = page.all(userKey, deviceKey, after.ts, after.ts, after.state) as Row[];
    yield* rows;
    if (rows.length < SQLITE_PAGE) return;
    after = rows[rows.length - 1];
  }
}

type StreamKey = { userKey: string; deviceKey: string };
const keyOf = ({ userKey, deviceKey }: StreamKey) => `${userKey}\u0000${deviceKey}`;

async function findCurrentRuns(db: Db, streams: StreamKey[], gapMs: number): Promise<Map<string, Current>> {
  const runs = new Map<string, Current>();
  if (!streams.length) return runs;
  if (db.sqlite) {
    // In-process, a query per stream costs microseconds; reading in pages keeps the connection
    // free between streams, so requests waiting on the event loop are served meanwhile.
    const page = db.sqlite.prepare(
      `SELECT ts, state FROM work_events WHERE user_key = ? AND device_key = ? AND ts <= ? AND (ts < ? OR state > ?)
       ORDER BY ts DESC, state ASC LIMIT ${SQLITE_PAGE}`,
    );
    for (const [i, stream] of streams.entries()) {
      const run = findCurrentRun(pagesOf(page, stream.userKey, stream.deviceKey), gapMs);
      if (run) runs.set(keyOf(stream), run);
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    return runs;
  }
  // One round trip for every stream. Each lateral scan walks the user's part of the
  // (user_key, ts, state, device_key) index backwards and, as the window is computed lazily,
  // stops at the first event that starts a run. A gap of 0 means silence never ends a run.
  const ms = dialectOf(db).ms;
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT s.user_key, s.device_key, ${ms("latest.ts")} AS latest_ts, latest.state AS latest_state,
            ${ms("run.ts")} AS since, ${ms("run.older_ts")} AS older_ts, run.older_state
     FROM json_to_recordset(?::json) AS s(user_key text, device_key text)
     CROSS JOIN LATERAL (
       SELECT ts, state FROM work_events WHERE user_key = s.user_key AND device_key = s.device_key
       ORDER BY ts DESC, state ASC LIMIT 1
     ) latest
     CROSS JOIN LATERAL (
       SELECT ts, older_ts, older_state FROM (
         SELECT ts, state, LEAD(ts) OVER w AS older_ts, LEAD(state) OVER w AS older_state
         FROM work_events WHERE user_key = s.user_key AND device_key = s.device_key
         WINDOW w AS (ORDER BY ts DESC, state ASC)
       ) events
       WHERE older_ts IS NULL OR older_state <> state OR (?::float8 > 0 AND ts - older_ts > ?::float8 * interval '1 millisecond')
       ORDER BY ts DESC, state ASC LIMIT 1
     ) run`,
    [JSON.stringify(streams.map((s) => ({ user_key: s.userKey, device_key: s.deviceKey }))), gapMs, gapMs],
  );
  for (const row of rows) {
    const since = toNumber(row.since);
    const latestState = row.latest_state as EventState;
    const olderTs = row.older_ts === null ? null : toNumber(row.older_ts);
    runs.set(keyOf({ userKey: String(row.user_key), deviceKey: String(row.device_key) }), {
      latestTs: toNumber(row.latest_ts),
      latestState,
      since,
      afterOtherState: olderTs !== null && row.older_state !== latestState && (gapMs === 0 || since - olderTs <= gapMs),
    });
  }
  return runs;
}

/**
 * Every (user, device) stream of the users in `visible` (everyone when null) with its status at
 * `now`. Only streams heard from within the gap have their events read.
 */
export async function listStreamStatuses(
  db: Db,
  gapMs: number,
  now = Date.now(),
  visible: ReadonlySet<string> | null = null,
): Promise<StreamStatus[]> {
  if (visible?.size === 0) return [];
  const d = dialectOf(db);
  // Read only the visible users' rows: one employee's page reads one user's devices, not everyone's.
  const tracked = await db.raw.query<Record<string, unknown>>(
    `SELECT user_key, device_key, display_name, agent, token_id, last_state,
            ${d.ms("first_event_at")} AS first_event_at, ${d.ms("last_event_at")} AS last_event_at,
            ${d.ms("run_since")} AS run_since, run_after_other, run_gap_ms
     FROM tracked_devices${visible === null ? "" : ` WHERE ${d.inJsonList("user_key")}`}`,
    visible === null ? [] : [JSON.stringify([...visible])],
  );

  const isLive = (lastSeen: number) => gapMs === 0 || now - lastSeen <= gapMs;
  const streams = tracked.map((row) => ({ userKey: String(row.user_key), deviceKey: String(row.device_key) }));
  // The run ingest kept, where it knows it under this gap; the events are read for the rest.
  const kept = tracked.map((row): Current | null =>
    row.run_since === null || row.run_gap_ms === null || toNumber(row.run_gap_ms) !== gapMs
      ? null
      : {
          latestTs: toNumber(row.last_event_at),
          latestState: row.last_state as EventState,
          since: toNumber(row.run_since),
          afterOtherState: Boolean(row.run_after_other),
        },
  );
  const runs = await findCurrentRuns(
    db,
    streams.filter((_, i) => !kept[i] && isLive(toNumber(tracked[i].last_event_at))),
    gapMs,
  );

  return tracked.map((row, i): StreamStatus => {
    // The newest event read beats tracked_devices' copy, which a report may have moved on since.
    const run = kept[i] ?? runs.get(keyOf(streams[i]));
    const live = run !== undefined && run !== null && isLive(run.latestTs);
    const lastSeen = run?.latestTs ?? toNumber(row.last_event_at);
    const working = (run?.latestState ?? row.last_state) === "working";
    return {
      userKey: streams[i].userKey,
      deviceKey: streams[i].deviceKey,
      device: String(row.display_name),
      agent: row.agent === null || row.agent === undefined ? null : String(row.agent),
      tokenId: row.token_id === null || row.token_id === undefined ? null : toNumber(row.token_id),
      firstEvent: toNumber(row.first_event_at),
      lastSeen,
      status: live ? (working ? "working" : "idle") : "offline",
      since: live ? run.since : lastSeen + gapMs,
      workedUntil: live ? (!working && run.afterOtherState ? run.since : null) : working ? lastSeen + gapMs : null,
    };
  });
}

export type Combined = { status: LiveStatus; since: number; lastSeen: number };

/**
 * One status for several streams (a user's devices, or the users of one device): working if
 * any is, else idle if any is, else offline. `since` is when that combined status began, as far
 * as the streams' current runs tell: working since the earliest working run; idle since the
 * earliest idle run, but not before the last time any stream was seen working; offline since
 * the last stream went offline.
 */
export function combineStatuses(streams: readonly StreamStatus[]): Combined | null {
  if (!streams.length) return null;
  const lastSeen = Math.max(...streams.map((s) => s.lastSeen));
  const inStatus = (status: LiveStatus) => streams.filter((s) => s.status === status);
  const working = inStatus("working");
  if (working.length) return { status: "working", since: Math.min(...working.map((s) => s.since)), lastSeen };
  const idle = inStatus("idle");
  if (idle.length) {
    const workedUntil = streams.map((s) => s.workedUntil ?? -Infinity);
    return { status: "idle", since: Math.max(Math.min(...idle.map((s) => s.since)), ...workedUntil), lastSeen };
  }
  return { status: "offline", since: Math.max(...streams.map((s) => s.since)), lastSeen };
}
