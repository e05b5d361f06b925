import type { Db } from "../../db/index.ts";
import { localDateOf, localDateTimeOf } from "../../time.ts";
import { listDailyTotals, type DailyRow } from "../daily.ts";
import type { ExportQuery } from "../schemas.ts";
import type { ReportSettings } from "../settings.ts";
import { byUserKey, type Visible } from "../visible.ts";
import { periodBounds, summarise, type SummaryRow } from "../summary.ts";

const BOM = "\uFEFF";
const CRLF = "\r\n";

type Cell = string | number | null;

/**
 * One RFC 4180 field. Text that a spreadsheet would run as a formula is prefixed with an
 * apostrophe (OWASP's CSV-injection advice); numbers are written as they are.
 */
export function toCsvField(value: Cell): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

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

/** An ISO instant as "YYYY-MM-DD HH:mm:ss" local to `timeZone`, which spreadsheets read as a date-time. */
export function toLocalDateTime(iso: string | null, timeZone: string): string | null {
  return iso === null ? null : localDateTimeOf(Date.parse(iso), timeZone);
}

function toCsv(rows: Cell[][]): string {
  return BOM + rows.map((cells) => cells.map(toCsvField).join(",")).join(CRLF) + CRLF;
}

/** The summary rows as a CSV document: UTF-8 BOM (for Excel), CRLF line ends, a header row. */
export function toSummaryCsv(rows: readonly SummaryRow[], timeZone: string): string {
  const header = [
    "username",
    "period_start",
    "period_end",
    "working_hours",
    "working_time (h:mm)",
    "real_hours_counted",
    "days_active",
    `first_activity (${timeZone})`,
    `last_activity (${timeZone})`,
  ];
  return toCsv([
    header,
    ...rows.map((row) => [
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
  ]);
}

/** Each employee's worked days as a CSV document, by username and then date. */
export function toDailyCsv(rows: readonly DailyRow[], timeZone: string): string {
  const header = ["username", "work_date", "working_hours", "working_time (h:mm)", "real_hours_counted", `first_activity (${timeZone})`, `last_activity (${timeZone})`];
  const sorted = [...rows].sort((a, b) => byUserKey(a, b) || (a.work_date < b.work_date ? -1 : a.work_date > b.work_date ? 1 : 0));
  return toCsv([
    header,
    ...sorted.map((row) => [
      row.username,
      row.work_date,
      toDecimalHours(row.working_seconds),
      toHoursMinutes(row.working_seconds),
      row.real_hours_counted,
      toLocalDateTime(row.first_activity, timeZone),
      toLocalDateTime(row.last_activity, timeZone),
    ]),
  ]);
}

/**
 * A period as a CSV file for payroll, with its download name: the summary (one row per
 * employee), or with `by: "day"` one row per employee and day worked.
 */
export async function exportSummaryCsv(
  db: Db,
  query: ExportQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<{ filename: string; csv: string }> {
  const date = query.date ?? localDateOf(now, settings.timeZone);
  const { start, end } = periodBounds(query.period, date, settings.weekStartsOn);
  const name = `work-hours-${query.period}-${start}${query.username ? `-${query.username.replace(/[^\w.-]+/g, "_")}` : ""}`;
  if (query.by === "day") {
    const days = await listDailyTotals(db, { start, end, username: query.username }, visible);
    return { filename: `${name}-by-day.csv`, csv: toDailyCsv(days.filter((day) => day.working_seconds > 0), settings.timeZone) };
  }
  const rows = await summarise(db, { ...query, date }, settings, now, visible);
  return { filename: `${name}.csv`, csv: toSummaryCsv(rows, settings.timeZone) };
}
