import type { Db } from "../db/index.ts";
import type { SqlValue } from "../db/dialect.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import type { RealWorkHoursQuery } from "./schemas.ts";
import { canSee, type Visible } from "./visible.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";

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
export async function listRealWorkHours(db: Db, query: RealWorkHoursQuery, visible: Visible = null): Promise<RealWorkHoursRow[]> {
  if (visible?.size === 0) return [];
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (query.username) {
    where.push("user_key = ?");
    params.push(toUserKey(query.username));
  }
  if (query.startDate) {
    where.push("work_date >= ?");
    params.push(query.startDate);
  }
  if (query.endDate) {
    where.push("work_date <= ?");
    params.push(query.endDate);
  }
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT id, user_key, username, work_date, real_hours_counted, last_processed_event_id FROM user_real_work_summary
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY work_date, user_key${dialectOf(db).byteOrder}`,
    params,
  );
  return rows.filter((row) => canSee(visible, String(row.user_key))).map((row) => ({
    id: toNumber(row.id),
    username: String(row.username),
    work_date: String(row.work_date),
    real_hours_counted: toNumber(row.real_hours_counted),
    last_processed_event_id: toNumber(row.last_processed_event_id),
  }));
}
