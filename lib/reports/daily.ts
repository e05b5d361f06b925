import type { Db } from "../db/index.ts";
import type { SqlValue } from "../db/dialect.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import { canSee, type Visible } from "./visible.ts";
import { dialectOf, toIsoOrNull, toNumber } from "../db/dialect.ts";

/** One user's totals for one local date, as the hours engine stored them. */
export type DailyRow = {
  userKey: string;
  username: string;
  work_date: LocalDate;
  working_seconds: number;
  real_hours_counted: number;
  first_activity: string | null;
  last_activity: string | null;
};

/** Up to this many visible users are asked for by key; more are filtered from the range's rows. */
const FEW_USERS = 500;

/** Every stored day from `start` to `end` (both included), of one user or of every visible one. */
export async function listDailyTotals(
  db: Db,
  range: { start: LocalDate; end: LocalDate; username?: string },
  visible: Visible = null,
): Promise<DailyRow[]> {
  if (visible?.size === 0) return [];
  const d = dialectOf(db);
  const params: SqlValue[] = [range.start, range.end];
  let where = "work_date >= ? AND work_date <= ?";
  if (range.username) {
    where += " AND user_key = ?";
    params.push(toUserKey(range.username));
  } else if (visible && visible.size <= FEW_USERS) {
    // A page of the dashboard: its own rows only, not the whole period's.
    where += ` AND user_key IN (${[...visible].map(() => "?").join(", ")})`;
    params.push(...visible);
  }
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT user_key, username, work_date, working_seconds, real_hours_counted,
       ${d.ms("first_activity")} AS first_activity, ${d.ms("last_activity")} AS last_activity
     FROM user_real_work_summary WHERE ${where}`,
    params,
  );
  return rows
    .filter((row) => canSee(visible, String(row.user_key)))
    .map((row) => ({
      userKey: String(row.user_key),
      username: String(row.username),
      work_date: String(row.work_date),
      working_seconds: toNumber(row.working_seconds),
      real_hours_counted: toNumber(row.real_hours_counted),
      first_activity: toIsoOrNull(row.first_activity),
      last_activity: toIsoOrNull(row.last_activity),
    }));
}

/**
 * The team names of each employee (by user key), each list sorted as the views sort names.
 * With `visible` (a supervisor limited to teams), only the teams whose every member is visible:
 * the reader's own teams, never another team a visible member also belongs to.
 */
export async function listTeamsByUserKey(db: Db, visible: Visible = null): Promise<Map<string, string[]>> {
  const rows = (
    await db.raw.query<Record<string, unknown>>(
      `SELECT m.user_key, t.name FROM team_members m JOIN teams t ON t.id = m.team_id`,
    )
  ).map((row) => ({ userKey: String(row.user_key), name: String(row.name) }));
  const hidden = new Set(rows.filter((row) => !canSee(visible, row.userKey)).map((row) => row.name));
  const teams = new Map<string, string[]>();
  for (const row of rows.filter((row) => !hidden.has(row.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    teams.set(row.userKey, [...(teams.get(row.userKey) ?? []), row.name]);
  }
  return teams;
}
