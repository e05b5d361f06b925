import type { Db } from "../../db/index.ts";
import { localDateOf, localDateTimeOf } from "../../time.ts";
import { listDailyTotals, type DailyRow } from "../daily.ts";
import type { ExportQuery } from "../schemas.ts";
import type { ReportSettings } from "../settings.ts";
import { periodBounds, summarise, type SummaryRow } from "../summary.ts";
import { byUserKey, type Visible } from "../visible.ts";

export type Cell = string | number | null;

/** What an export holds, whatever the file format: a name for the download, a header row and the rows. */
export type ExportTable = { name: string; header: string[]; rows: Cell[][] };

/** Seconds as decimal hours to two places, rounded to the nearest hundredth. */
export function toDecimalHours(seconds: number): string {
  const hundredths = Math.round(seconds / 36);
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, "0")}`;
}

/** Seconds as h:mm, rounded to the nearest minute; hours run past 24. */
export function toHoursMinutes(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

const toLocalDateTime = (iso: string | null, timeZone: string) =>
  iso === null ? null : localDateTimeOf(Date.parse(iso), timeZone);

function summaryRows(rows: readonly SummaryRow[], timeZone: string): Pick<ExportTable, "header" | "rows"> {
  return {
    header: [
      "username",
      "period_start",
      "period_end",
      "working_hours",
      "working_time (h:mm)",
      "real_hours_counted",
      "days_active",
      `first_activity (${timeZone})`,
      `last_activity (${timeZone})`,
    ],
    rows: rows.map((row) => [
      row.username,
      row.period_start,
      row.period_end,
      toDecimalHours(row.working_seconds),
      toHoursMinutes(row.working_seconds),
      row.real_hours_counted,
      row.days_active,
      toLocalDateTime(row.first_activity, timeZone),
      toLocalDateTime(row.last_activity, timeZone),
    ]),
  };
}

/** Each employee's worked days, by username and then date. */
function dailyRows(rows: readonly DailyRow[], timeZone: string): Pick<ExportTable, "header" | "rows"> {
  const sorted = [...rows].sort(
    (a, b) => byUserKey(a, b) || (a.work_date < b.work_date ? -1 : a.work_date > b.work_date ? 1 : 0),
  );
  return {
    header: [
      "username",
      "work_date",
      "working_hours",
      "working_time (h:mm)",
      "real_hours_counted",
      `first_activity (${timeZone})`,
      `last_activity (${timeZone})`,
    ],
    rows: sorted.map((row) => [
      row.username,
      row.work_date,
      toDecimalHours(row.working_seconds),
      toHoursMinutes(row.working_seconds),
      row.real_hours_counted,
      toLocalDateTime(row.first_activity, timeZone),
      toLocalDateTime(row.last_activity, timeZone),
    ]),
  };
}

/**
 * A period for payroll: the summary (one row per employee), or with `by: "day"` one row per
 * employee and day worked; times local to the report zone.
 */
export async function loadExportTable(
  db: Db,
  query: ExportQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<ExportTable> {
  const date = query.date ?? localDateOf(now, settings.timeZone);
  const { start, end } = periodBounds(query.period, date, settings.weekStartsOn);
  const name = `work-hours-${query.period}-${start}${query.username ? `-${query.username.replace(/[^\w.-]+/g, "_")}` : ""}`;
  if (query.by === "day") {
    const days = await listDailyTotals(db, { start, end, username: query.username }, visible);
    return {
      name: `${name}-by-day`,
      ...dailyRows(
        days.filter((day) => day.working_seconds > 0),
        settings.timeZone,
      ),
    };
  }
  const rows = await summarise(db, { ...query, date }, settings, now, visible);
  return { name, ...summaryRows(rows, settings.timeZone) };
}
