import type { Db } from "../../db/index.ts";
import { localDateOf, localDateTimeOf } from "../../time.ts";
import { listDailyTotals, type DailyRow } from "../daily.ts";
import type { ExportQuery } from "../schemas.ts";
import type { ReportSettings } from "../settings.ts";
import { periodBounds, summarise, type SummaryRow } from "../summary.ts";
import type { Visible } from "../visible.ts";
import { loadExpected } from "../expected.ts";
import { toUserKey } from "../../users.ts";

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

/** A balance as decimal hours to two places, "-8.00" for undertime (the CSV writer keeps it a number). */
const toBalanceHours = (seconds: number) => (seconds < 0 ? "-" : "") + toDecimalHours(Math.abs(seconds));

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
      "expected_hours",
      "balance_hours",
    ],
    kinds: [
      "text",
      "date",
      "date",
      "hours",
      "duration",
      "integer",
      "integer",
      "datetime",
      "datetime",
      "hours",
      "hours",
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
      toDecimalHours(row.expected_seconds),
      toBalanceHours(row.balance_seconds),
    ]),
  };
}

type ExportDay = Omit<DailyRow, "userKey"> & { expected_seconds: number; off: string | null };

/** Each employee's days worked or expected to be worked, by username and then date. */
function dailyRows(sorted: readonly ExportDay[], timeZone: string): Columns {
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
      "expected_hours",
      "balance_hours",
      "day_off",
    ],
    kinds: ["text", "date", "hours", "duration", "integer", "datetime", "datetime", "hours", "hours", "text"],
    rows: sorted.map((row) => [
      row.username,
      row.work_date,
      toDecimalHours(row.working_seconds),
      toHoursMinutes(row.working_seconds),
      row.real_hours_counted,
      toLocalDateTime(row.first_activity, timeZone),
      toLocalDateTime(row.last_activity, timeZone),
      toDecimalHours(row.expected_seconds),
      toBalanceHours(row.working_seconds - row.expected_seconds),
      row.off,
    ]),
  };
}

/**
 * A period for payroll: the summary (one row per employee), or with `by: "day"` one row per
 * employee and day worked, expected to be worked or off (so undertime days and leave are there too); times
 * local to the report zone.
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
  const expected = await loadExpected(db, { start, end }, settings, now);
  if (query.by === "day") {
    const [users, days] = await Promise.all([
      summarise(db, { ...query, date }, settings, now, visible, expected),
      listDailyTotals(db, { start, end, username: query.username }, visible),
    ]);
    const stored = new Map(days.map((day) => [`${day.userKey}\n${day.work_date}`, day]));
    const rows: ExportDay[] = [];
    for (const user of users) {
      const key = toUserKey(user.username);
      const expectedDays = expected.daysOf(key);
      expected.dates.forEach((workDate, i) => {
        const day = stored.get(`${key}\n${workDate}`);
        const off = expected.dayOffOf(key, workDate);
        if (!(day && day.working_seconds > 0) && expectedDays[i] === 0 && off === null) return;
        rows.push({
          username: day?.username ?? user.username,
          work_date: workDate,
          working_seconds: day?.working_seconds ?? 0,
          real_hours_counted: day?.real_hours_counted ?? 0,
          first_activity: day?.first_activity ?? null,
          last_activity: day?.last_activity ?? null,
          expected_seconds: expectedDays[i],
          off: off === null ? null : "holiday" in off ? `holiday: ${off.holiday}` : `leave: ${off.leave}`,
        });
      });
    }
    return { name: `${name}-by-day`, ...dailyRows(rows, settings.timeZone) };
  }
  const rows = await summarise(db, { ...query, date }, settings, now, visible, expected);
  return { name, ...summaryRows(rows, settings.timeZone) };
}
