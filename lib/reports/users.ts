import type { Statement } from "better-sqlite3";
import type { Db } from "../db/index.ts";
import type { HoursEvent } from "../users.ts";
import type { ReportSettings } from "./settings.ts";
import { byUserKey, canSee, type Visible } from "./visible.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";

export type UserStatus = "working" | "idle" | "offline";

export type UserRow = {
  username: string;
  status: UserStatus;
  /** When the current status began (ISO UTC). */
  since: string;
  /** The time of the user's latest event (ISO UTC). */
  last_seen: string;
};

type Tracked = { userKey: string; username: string; lastSeen: number };

type Current = { latestTs: number; latestState: HoursEvent["state"]; since: number };
type Row = { ts: number; state: HoursEvent["state"] };

/**
 * The newest event of a user's events (given newest first, in DESIGN §5.1 order reversed) and
 * when its run began: walking back until an event of the other state or a silence longer
 * than the gap. Stops reading there, so a long history costs only its last run.
 */
export function findCurrentRun(newestFirst: Iterable<Row>, gapMs: number): Current | null {
  let current: Current | null = null;
  for (const event of newestFirst) {
    if (!current) {
      current = { latestTs: event.ts, latestState: event.state, since: event.ts };
      continue;
    }
    if (event.state !== current.latestState || (gapMs > 0 && current.since - event.ts > gapMs)) break;
    current.since = event.ts;
  }
  return current;
}

const SQLITE_PAGE = 128;

/** One user's events newest first, read a page at a time as the caller asks for more. */
function* pagesOf(page: Statement, userKey: string): Generator<Row> {
  let after: Row = { ts: Number.MAX_SAFE_INTEGER, state: "stopped" };
  for (;;) {
    const rows = page.all(userKey, after.ts, after.ts, after.state) as Row[];
    yield* rows;
    if (rows.length < SQLITE_PAGE) return;
    after = rows[rows.length - 1];
  }
}

async function findCurrentRuns(db: Db, userKeys: string[], gapMs: number): Promise<Map<string, Current>> {
  const runs = new Map<string, Current>();
  if (!userKeys.length) return runs;
  if (db.sqlite) {
    // In-process, a query per user costs microseconds; reading in pages keeps the connection
    // free between users, so requests waiting on the event loop are served meanwhile.
    const page = db.sqlite.prepare(
      `SELECT ts, state FROM work_events WHERE user_key = ? AND ts <= ? AND (ts < ? OR state > ?)
       ORDER BY ts DESC, state ASC LIMIT ${SQLITE_PAGE}`,
    );
    for (const [i, key] of userKeys.entries()) {
      const run = findCurrentRun(pagesOf(page, key), gapMs);
      if (run) runs.set(key, run);
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    return runs;
  }
  // One round trip for every user. Each lateral scan walks the (user_key, ts, state) index
  // backwards and, as the window is computed lazily, stops at the first event that starts a
  // run, so only each user's last run is read. A gap of 0 means silence never ends a run.
  const ms = dialectOf(db).ms;
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT u.user_key, ${ms("latest.ts")} AS latest_ts, latest.state AS latest_state, ${ms("run.ts")} AS since
     FROM json_array_elements_text(?::json) AS u(user_key)
     CROSS JOIN LATERAL (
       SELECT ts, state FROM work_events WHERE user_key = u.user_key ORDER BY ts DESC, state ASC LIMIT 1
     ) latest
     CROSS JOIN LATERAL (
       SELECT ts FROM (
         SELECT ts, state, LEAD(ts) OVER w AS older_ts, LEAD(state) OVER w AS older_state
         FROM work_events WHERE user_key = u.user_key
         WINDOW w AS (ORDER BY ts DESC, state ASC)
       ) events
       WHERE older_ts IS NULL OR older_state <> state OR (?::float8 > 0 AND ts - older_ts > ?::float8 * interval '1 millisecond')
       ORDER BY ts DESC, state ASC LIMIT 1
     ) run`,
    [JSON.stringify(userKeys), gapMs, gapMs],
  );
  for (const row of rows) {
    runs.set(String(row.user_key), {
      latestTs: toNumber(row.latest_ts),
      latestState: row.latest_state as HoursEvent["state"],
      since: toNumber(row.since),
    });
  }
  return runs;
}

/**
 * Every tracked user's status at `now`: working or idle while their latest event (working or
 * stopped) is no older than the gap, offline after that; with `since`, when it began. Only
 * the users in `visible` when it is a set.
 */
export async function listUsers(
  db: Db,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<UserRow[]> {
  if (visible?.size === 0) return [];
  const { gapMs } = settings;
  const d = dialectOf(db);
  const tracked: Tracked[] = (
    await db.raw.query<Record<string, unknown>>(
      `SELECT user_key, display_name, ${d.ms("last_event_at")} AS last_event_at FROM tracked_users`,
    )
  )
    .filter((row) => canSee(visible, String(row.user_key)))
    .map((row) => ({
      userKey: String(row.user_key),
      username: String(row.display_name),
      lastSeen: toNumber(row.last_event_at),
    }));

  const isLive = (lastSeen: number) => gapMs === 0 || now - lastSeen <= gapMs;
  // Only users seen within the gap need their events read; the newest event read there beats
  // tracked_users' copy, which a report may have moved on since.
  const current = await findCurrentRuns(
    db,
    tracked.filter((user) => isLive(user.lastSeen)).map((user) => user.userKey),
    gapMs,
  );

  return tracked.sort(byUserKey).map((user): UserRow => {
    const found = current.get(user.userKey);
    if (found && isLive(found.latestTs)) {
      return {
        username: user.username,
        status: found.latestState === "working" ? "working" : "idle",
        since: new Date(found.since).toISOString(),
        last_seen: new Date(found.latestTs).toISOString(),
      };
    }
    const lastSeen = found?.latestTs ?? user.lastSeen;
    return {
      username: user.username,
      status: "offline",
      since: new Date(lastSeen + gapMs).toISOString(),
      last_seen: new Date(lastSeen).toISOString(),
    };
  });
}
