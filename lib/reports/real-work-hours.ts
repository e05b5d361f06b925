import type { Db, SqlValue } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import type { RealWorkHoursQuery } from "./schemas.ts";
import { canSee, toNumber, type Visible } from "./sql.ts";

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
  // user_key is the case-folded name; COLLATE "C" makes PostgreSQL order it as SQLite does.
  const collate = db.provider === "postgresql" ? ` COLLATE "C"` : "";
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT id, user_key, username, work_date, real_hours_counted, last_processed_event_id FROM user_real_work_summary
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY work_date, user_key${collate}`,
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
