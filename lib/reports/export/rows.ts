import type { Db } from "../../db/index.ts";
import { localDateOf, localDateTimeOf } from "../../time.ts";
import { listDailyTotals, type DailyRow } from "../daily.ts";
import type { ExportQuery } from "../schemas.ts";
import type { ReportSettings } from "../settings.ts";
import { periodBounds, summarise, type SummaryRow } from "../summary.ts";
import { byUserKey, type Visible } from "../visible.ts";

export type Cell = string | number | null;

/**
 * What a column holds, so a typed format (XLSX) can write it as a number, a date or a duration
 * rather than as the text the CSV carries: `hours` decimal hours ("7.50"), `duration` h:mm,
 * `date` YYYY-MM-DD, `datetime` "YYYY-MM-DD HH:mm:ss" local to the report zone, `yesno` "yes"/"no".
 */
export type ColumnKind = "text" | "integer" | "hours" | "duration" | "date" | "datetime" | "yesno";

/**
 * What an export holds, whatever the file format: a name for the download, the sheet it
 * fills in a workbook, a header row with each column's kind, and the rows.
 */
export type ExportTable = { name: string; sheet: string; header: string[]; kinds: ColumnKind[]; rows: Cell[][] };

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

type Columns = Pick<ExportTable, "sheet" | "header" | "kinds" | "rows">;

function summaryRows(rows: readonly SummaryRow[], timeZone: string): Columns {
  return {
    sheet: "Summary",
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
    kinds: ["text", "date", "date", "hours", "duration", "integer", "integer", "datetime", "datetime"],
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
function dailyRows(rows: readonly DailyRow[], timeZone: string): Columns {
  const sorted = [...rows].sort(
    (a, b) => byUserKey(a, b) || (a.work_date < b.work_date ? -1 : a.work_date > b.work_date ? 1 : 0),
  );
  return {
    sheet: "By day",
    header: [
      "username",
      "work_date",
      "working_hours",
      "working_time (h:mm)",
      "real_hours_counted",
      `first_activity (${timeZone})`,
      `last_activity (${timeZone})`,
    ],
    kinds: ["text", "date", "hours", "duration", "integer", "datetime", "datetime"],
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
