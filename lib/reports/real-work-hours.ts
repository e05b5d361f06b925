import type { Db } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import type { RealWorkHoursQuery } from "./schemas.ts";
import { byUserKey, type Visible } from "./visible.ts";

/** The original server's row, field for field. */
export type RealWorkHoursRow = {
  id: number;
  username: string;
  work_date: LocalDate;
  real_hours_counted: number;
  last_processed_event_id: number;
};

/**
 * The per-day Real Work Hours rows, by date and then username (case-insensitively); only
 * those of `visible` users when it is a set.
 */
export async function listRealWorkHours(
  db: Db,
  query: RealWorkHoursQuery,
  visible: Visible = null,
): Promise<RealWorkHoursRow[]> {
  if (visible?.size === 0) return [];
  const userKeys: { userKey: string | { in: string[] } }[] = [];
  if (query.username) userKeys.push({ userKey: toUserKey(query.username) });
  if (visible) userKeys.push({ userKey: { in: [...visible] } });
  const rows = await db.prisma.userRealWorkSummary.findMany({
    select: {
      id: true,
      userKey: true,
      username: true,
      workDate: true,
      realHoursCounted: true,
      lastProcessedEventId: true,
    },
    where: {
      AND: userKeys,
      workDate: { gte: query.startDate, lte: query.endDate },
    },
    orderBy: [{ workDate: "asc" }, { userKey: "asc" }],
  });
  // Prisma cannot say COLLATE "C", and PostgreSQL's default collation orders user keys unlike
  // SQLite: the final order by user key is made here, the same on both providers. Dates are
  // ASCII YYYY-MM-DD, which every collation orders alike; (user_key, work_date) is unique.
  rows.sort((a, b) => (a.workDate < b.workDate ? -1 : a.workDate > b.workDate ? 1 : byUserKey(a, b)));
  return rows.map((row) => ({
    id: row.id,
    username: row.username,
    work_date: row.workDate,
    real_hours_counted: row.realHoursCounted,
    last_processed_event_id: row.lastProcessedEventId,
  }));
}
