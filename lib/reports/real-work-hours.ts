import { dialectOf, toNumber, type SqlValue } from "../db/dialect.ts";
import type { Db } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import type { RealWorkHoursQuery } from "./schemas.ts";
import type { Visible } from "./visible.ts";

/** The original server's row, field for field. */
export type RealWorkHoursRow = {
  id: number;
  username: string;
  work_date: LocalDate;
  real_hours_counted: number;
  last_processed_event_id: number;
};

const PAGE_ROWS = 1000;

/**
 * The per-day Real Work Hours rows, by date and then user key (byte order, on both providers),
 * a page at a time: without dates the answer is every stored row, so it is never held whole.
 * Only those of `visible` users when it is a set. Each page is its own query after the last
 * key read, so a row the engine writes meanwhile may or may not be in the answer, but no row
 * is repeated or skipped.
 */
export async function* readRealWorkHours(
  db: Db,
  query: RealWorkHoursQuery,
  visible: Visible = null,
  pageRows = PAGE_ROWS,
): AsyncGenerator<RealWorkHoursRow[]> {
  if (visible?.size === 0) return;
  const dialect = dialectOf(db);
  const userKey = dialect.binary("user_key");
  const filters: string[] = [];
  const params: SqlValue[] = [];
  if (query.username) {
    filters.push("user_key = ?");
    params.push(toUserKey(query.username));
  }
  if (visible) {
    filters.push(dialect.inJsonList("user_key"));
    params.push(JSON.stringify([...visible]));
  }
  if (query.startDate && query.endDate) {
    filters.push("work_date >= ? AND work_date <= ?");
    params.push(query.startDate, query.endDate);
  }
  let after: { workDate: string; userKey: string } | null = null;
  for (;;) {
    // work_date >= ? alone bounds the index range; the OR only trims that date's first rows.
    const keyset = after ? [`work_date >= ? AND (work_date > ? OR ${userKey} > ?)`] : [];
    const rows: Record<string, unknown>[] = await db.raw.query(
      `SELECT id, user_key, username, work_date, real_hours_counted, last_processed_event_id
         FROM user_real_work_summary
        WHERE ${[...filters, ...keyset].join(" AND ") || "TRUE"}
        ORDER BY work_date, ${userKey}
        LIMIT ?`,
      [...params, ...(after ? [after.workDate, after.workDate, after.userKey] : []), pageRows],
    );
    if (rows.length) yield rows.map(toRow);
    if (rows.length < pageRows) return;
    const last = rows[rows.length - 1];
    after = { workDate: String(last.work_date), userKey: String(last.user_key) };
  }
}

function toRow(row: Record<string, unknown>): RealWorkHoursRow {
  return {
    id: toNumber(row.id),
    username: String(row.username),
    work_date: String(row.work_date),
    real_hours_counted: toNumber(row.real_hours_counted),
    last_processed_event_id: toNumber(row.last_processed_event_id),
  };
}
