import type { Db } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";
import { listDailyTotals, listTeamsByUserKey, type DailyRow } from "./daily.ts";
import { daysBetween, type DashboardQuery, type Period, type PeriodSort, type TodaySort } from "./schemas.ts";
import type { ReportSettings } from "./settings.ts";
import { type Visible } from "./visible.ts";
import { dialectOf, toIsoOrNull } from "../db/dialect.ts";
import { periodBounds, summarise, type SummaryRow } from "./summary.ts";
import { getDayOverview, listTeamDayPeriods } from "./timeline.ts";
import { loadExpected } from "./expected.ts";
import type { DayOff } from "../schedules/expected.ts";
import { pageRows, type TablePage, type TableQuery } from "./table.ts";
import { listUserStatuses, listUsers, type UserRow } from "./users.ts";

// What each dashboard page shows, built only from the read API's own functions so that every
// number on a page is the number the API gives for the same period.

type ViewMeta = {
  timezone: string;
  /** Today in the report time zone, when the view was built. */
  today: LocalDate;
  generated_at: string;
  /** When the hours engine last finished a run: the hours shown are as of then (statuses are live). */
  hours_as_of: string | null;
};

type DayTotals = { working_seconds: number; real_hours_counted: number };
/** A day against the schedule (DESIGN §11): `off` marks a public holiday or the employee's leave. */
type DayExpected = { expected_seconds: number; balance_seconds: number; off: DayOff | null };

type TodayEmployee = Omit<UserRow, "devices"> &
  Omit<SummaryRow, "username" | "period_start" | "period_end" | "days_active"> & { teams: string[] };
export type TodayView = ViewMeta & {
  view: "today";
  date: LocalDate;
  /** The table's page: filtered, sorted and cut over everyone (`table` says where). */
  employees: TodayEmployee[];
  table: TablePage;
  /** Over everyone the reader may see, whatever the filter and page. */
  totals: {
    working: number;
    idle: number;
    offline: number;
    working_seconds: number;
    real_hours_counted: number;
    expected_seconds: number;
    balance_seconds: number;
  };
  teams: string[];
};

type PeriodEmployee = Omit<SummaryRow, "period_start" | "period_end"> & {
  teams: string[];
  days: (DayTotals & DayExpected)[];
  /** The day view only: the day's merged periods, by start, as the team timeline draws them. */
  periods?: DaySpan[];
  /** The day view only: the periods are joined per quarter hour, the day has too many to draw one by one. */
  periods_merged?: boolean;
};
export type PeriodView = ViewMeta & {
  view: Period;
  date: LocalDate;
  start: LocalDate;
  end: LocalDate;
  /** Every date of the period, in order; each employee's `days` follow it. */
  dates: LocalDate[];
  /** The table's page: filtered, sorted and cut over everyone (`table` says where). */
  employees: PeriodEmployee[];
  table: TablePage;
  /** Over everyone the reader may see, whatever the filter and page. */
  totals: {
    active: number;
    working_seconds: number;
    real_hours_counted: number;
    expected_seconds: number;
    balance_seconds: number;
  };
  teams: string[];
  /** The day view only: the local day's bounds (a DST day lasts 23 or 25 hours), which `periods` count from. */
  day_bounds?: { starts_at: string; ends_at: string };
};

/**
 * A period on the employee's day as [milliseconds after the day's start, milliseconds long]:
 * exact, and a few bytes each, since a busy day draws up to 1,440 of them on the page, again in
 * the page's data for its live refresh, and in that refresh's JSON.
 */
type DaySpan = [start: number, length: number];

type EmployeeDay = DayTotals &
  DayExpected & { date: LocalDate; first_activity: string | null; last_activity: string | null };
export type EmployeeView = ViewMeta & {
  view: "employee";
  username: string;
  teams: string[];
  date: LocalDate;
  status: UserRow | null;
  day: DayTotals &
    DayExpected & {
      /** The local day's bounds (a DST day lasts 23 or 25 hours). */
      starts_at: string;
      ends_at: string;
      /** By start. */
      periods: DaySpan[];
      periods_total: number;
      /** The periods are merged per minute: the day has too many to draw one by one. */
      periods_merged: boolean;
      /**
       * With more than one device, each device's own periods (the most recently active first),
       * as `periods` are given; with one, none: its periods are `periods` (see `only_device`).
       */
      devices: { device: string; periods: DaySpan[]; periods_total: number; periods_merged: boolean }[];
      /** The one device the user ever reported from ("" for the unnamed device), or null with none or several. */
      only_device: string | null;
      /** Devices the user has beyond those listed. */
      devices_more: number;
      events: number;
      first_activity: string | null;
      last_activity: string | null;
    };
  month: Omit<SummaryRow, "username" | "first_activity" | "last_activity"> & { days: EmployeeDay[] };
};

async function metaOf(db: Db, settings: ReportSettings, now: number): Promise<ViewMeta> {
  const [run] = await db.raw.query<Record<string, unknown>>(
    `SELECT ${dialectOf(db).ms("MAX(finished_at)")} AS at FROM engine_runs WHERE status = 'ok'`,
  );
  return {
    timezone: settings.timeZone,
    today: localDateOf(now, settings.timeZone),
    generated_at: new Date(now).toISOString(),
    hours_as_of: toIsoOrNull(run?.at),
  };
}

function datesOf(start: LocalDate, end: LocalDate): LocalDate[] {
  return Array.from({ length: daysBetween(start, end) }, (_, i) => addDays(start, i));
}

const teamNames = (teams: Map<string, string[]>, userKeys: Iterable<string>) =>
  [...new Set([...userKeys].flatMap((key) => teams.get(key) ?? []))].sort((a, b) => a.localeCompare(b));

const STATUS_ORDER = { working: 0, idle: 1, offline: 2 } as const;

/** A Today row before it is shaped for the page: instants in epoch ms, so only the page's rows are written out. */
type TodayRow = Omit<TodayEmployee, "since" | "last_seen"> & { since: number; lastSeen: number };

const TODAY_SORTS: Record<TodaySort, (row: TodayRow) => string | number | null> = {
  name: (row) => row.username,
  status: (row) => STATUS_ORDER[row.status],
  first: (row) => row.first_activity,
  last: (row) => row.last_activity,
  worked: (row) => row.working_seconds,
  rwh: (row) => row.real_hours_counted,
  expected: (row) => row.expected_seconds,
  balance: (row) => row.balance_seconds,
};

const PERIOD_SORTS: Record<PeriodSort, (row: Omit<PeriodEmployee, "days">) => string | number | null> = {
  name: (row) => row.username,
  days: (row) => row.days_active,
  first: (row) => row.first_activity,
  last: (row) => row.last_activity,
  worked: (row) => row.working_seconds,
  rwh: (row) => row.real_hours_counted,
  expected: (row) => row.expected_seconds,
  balance: (row) => row.balance_seconds,
};

const sum = <T>(rows: readonly T[], value: (row: T) => number) => rows.reduce((total, row) => total + value(row), 0);

/** Every visible employee now: live status, and today's first and last activity, time and Real Work Hours; one page of them. */
async function loadTodayView(
  db: Db,
  settings: ReportSettings,
  now: number,
  visible: Visible,
  query: TableQuery,
): Promise<TodayView> {
  const meta = await metaOf(db, settings, now);
  const [users, summary, teams] = await Promise.all([
    listUserStatuses(db, settings, now, visible),
    summarise(db, { period: "day", date: meta.today }, settings, now, visible),
    listTeamsByUserKey(db, visible),
  ]);
  const totals = new Map(summary.map((row) => [toUserKey(row.username), row]));
  // Today's table shows each employee's combined status; their devices are on their own page.
  const everyone = users.map((user): TodayRow => {
    const day = totals.get(user.userKey);
    return {
      username: user.username,
      status: user.status,
      since: user.since,
      lastSeen: user.lastSeen,
      teams: teams.get(user.userKey) ?? [],
      working_seconds: day?.working_seconds ?? 0,
      real_hours_counted: day?.real_hours_counted ?? 0,
      first_activity: day?.first_activity ?? null,
      last_activity: day?.last_activity ?? null,
      expected_seconds: day?.expected_seconds ?? 0,
      balance_seconds: day?.balance_seconds ?? 0,
    };
  });
  const { rows, table } = pageRows(everyone, query, TODAY_SORTS, {
    sort: "status",
    dir: "asc",
    keep: query.status ? (row) => row.status === query.status : undefined,
  });
  return {
    ...meta,
    view: "today",
    date: meta.today,
    employees: rows.map(({ username, status, since, lastSeen, ...day }) => ({
      username,
      status,
      since: new Date(since).toISOString(),
      last_seen: new Date(lastSeen).toISOString(),
      ...day,
    })),
    table,
    totals: {
      working: everyone.filter((e) => e.status === "working").length,
      idle: everyone.filter((e) => e.status === "idle").length,
      offline: everyone.filter((e) => e.status === "offline").length,
      working_seconds: sum(everyone, (e) => e.working_seconds),
      real_hours_counted: sum(everyone, (e) => e.real_hours_counted),
      expected_seconds: sum(everyone, (e) => e.expected_seconds),
      balance_seconds: sum(everyone, (e) => e.balance_seconds),
    },
    teams: teamNames(
      teams,
      users.map((user) => user.userKey),
    ),
  };
}

/**
 * The day, week or month containing `date` (today when absent): each employee's totals and,
 * for the page's employees, their days.
 */
async function loadPeriodView(
  db: Db,
  query: { period: Period; date?: LocalDate } & TableQuery,
  settings: ReportSettings,
  now: number,
  visible: Visible,
): Promise<PeriodView> {
  const meta = await metaOf(db, settings, now);
  const date = query.date ?? meta.today;
  const { start, end } = periodBounds(query.period, date, settings.weekStartsOn);
  // Read once, beside the summary's own queries, and shared with the day cells below.
  const loading = loadExpected(db, { start, end }, settings, now);
  const [summary, teams, expected] = await Promise.all([
    summarise(db, { period: query.period, date }, settings, now, visible, loading),
    listTeamsByUserKey(db, visible),
    loading,
  ]);
  const everyone = summary.map((row): Omit<PeriodEmployee, "days"> => ({
    username: row.username,
    working_seconds: row.working_seconds,
    real_hours_counted: row.real_hours_counted,
    days_active: row.days_active,
    first_activity: row.first_activity,
    last_activity: row.last_activity,
    expected_seconds: row.expected_seconds,
    balance_seconds: row.balance_seconds,
    teams: teams.get(toUserKey(row.username)) ?? [],
  }));
  const { rows, table } = pageRows(everyone, query, PERIOD_SORTS, { sort: "name", dir: "asc" });
  const dates = datesOf(start, end);
  const column = new Map(dates.map((d, i) => [d, i]));
  const grid = new Map<string, DayTotals[]>();
  const empty = () => dates.map(() => ({ working_seconds: 0, real_hours_counted: 0 }));
  // Only the page's days are read: a month of 10,000 employees is 300,000 of them.
  const pageKeys = rows.map((row) => toUserKey(row.username));
  const day = query.period === "day";
  const [daily, drawn] = await Promise.all([
    rows.length ? listDailyTotals(db, { start, end }, new Set(pageKeys)) : [],
    day ? listTeamDayPeriods(db, date, pageKeys) : null,
  ]);
  const dayStart = startOfLocalDay(start, settings.timeZone);
  for (const row of daily) {
    let days = grid.get(row.userKey);
    if (!days) grid.set(row.userKey, (days = empty()));
    days[column.get(row.work_date)!] = {
      working_seconds: row.working_seconds,
      real_hours_counted: row.real_hours_counted,
    };
  }
  const employees = rows.map((row): PeriodEmployee => {
    const key = toUserKey(row.username);
    const expectedDays = expected.daysOf(key);
    const days = (grid.get(key) ?? empty()).map((day, i) => ({
      ...day,
      expected_seconds: expectedDays[i],
      balance_seconds: day.working_seconds - expectedDays[i],
      off: expected.dayOffOf(key, dates[i]),
    }));
    if (!drawn) return { ...row, days };
    const periods = drawn.get(key);
    return {
      ...row,
      days,
      periods: (periods?.periods ?? []).map((p): DaySpan => [p.start - dayStart, p.end - p.start]),
      periods_merged: periods?.periods_merged ?? false,
    };
  });
  return {
    ...meta,
    view: query.period,
    date,
    start,
    end,
    dates,
    employees,
    table,
    totals: {
      active: everyone.filter((e) => e.working_seconds > 0).length,
      working_seconds: sum(everyone, (e) => e.working_seconds),
      real_hours_counted: sum(everyone, (e) => e.real_hours_counted),
      expected_seconds: sum(everyone, (e) => e.expected_seconds),
      balance_seconds: sum(everyone, (e) => e.balance_seconds),
    },
    teams: teamNames(
      teams,
      everyone.map((e) => toUserKey(e.username)),
    ),
    ...(day
      ? {
          day_bounds: {
            starts_at: new Date(dayStart).toISOString(),
            ends_at: new Date(startOfLocalDay(addDays(start, 1), settings.timeZone)).toISOString(),
          },
        }
      : {}),
  };
}

/**
 * One employee: their status now, the day's working periods (bounded however busy the day), and every day of that day's month.
 * Unknown or not visible is a 404, as in the timeline API.
 */
export async function loadEmployeeView(
  db: Db,
  query: { username: string; date?: LocalDate },
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<EmployeeView> {
  const meta = await metaOf(db, settings, now);
  const date = query.date ?? meta.today;
  const overview = await getDayOverview(db, { username: query.username, date }, settings, now, visible);
  const key = overview.userKey;
  const only = new Set([key]);
  const month = periodBounds("month", date, settings.weekStartsOn);
  const loading = loadExpected(db, month, settings, now);
  const [[status], [monthTotals], daily, teams, expected] = await Promise.all([
    listUsers(db, settings, now, only),
    summarise(db, { period: "month", date, username: overview.username }, settings, now, only, loading),
    listDailyTotals(db, { ...month, username: overview.username }, only),
    listTeamsByUserKey(db, visible),
    loading,
  ]);
  const byDate = new Map<LocalDate, DailyRow>(daily.map((row) => [row.work_date, row]));
  const expectedDays = expected.daysOf(key);
  const days = datesOf(month.start, month.end).map((d, i): EmployeeDay => {
    const row = byDate.get(d);
    const worked = row?.working_seconds ?? 0;
    return {
      date: d,
      working_seconds: worked,
      real_hours_counted: row?.real_hours_counted ?? 0,
      first_activity: row?.first_activity ?? null,
      last_activity: row?.last_activity ?? null,
      expected_seconds: expectedDays[i],
      balance_seconds: worked - expectedDays[i],
      off: expected.dayOffOf(key, d),
    };
  });
  const dayExpected = days.find((d) => d.date === date)?.expected_seconds ?? 0;
  const today = byDate.get(date);
  const dayStart = startOfLocalDay(date, settings.timeZone);
  const toSpans = (periods: readonly { start: number; end: number }[]) =>
    periods.map((p): DaySpan => [p.start - dayStart, p.end - p.start]);
  const {
    username: _username,
    first_activity: _first,
    last_activity: _last,
    ...monthRow
  } = monthTotals ?? {
    username: overview.username,
    period_start: month.start,
    period_end: month.end,
    working_seconds: 0,
    real_hours_counted: 0,
    days_active: 0,
    first_activity: null,
    last_activity: null,
    expected_seconds: 0,
    balance_seconds: 0,
  };
  return {
    ...meta,
    view: "employee",
    username: overview.username,
    teams: teams.get(key) ?? [],
    date,
    status: status ?? null,
    day: {
      starts_at: new Date(dayStart).toISOString(),
      ends_at: new Date(startOfLocalDay(addDays(date, 1), settings.timeZone)).toISOString(),
      periods: toSpans(overview.periods),
      periods_total: overview.periods_total,
      periods_merged: overview.periods_merged,
      only_device: overview.devices.length === 1 ? overview.devices[0].device : null,
      devices: (overview.devices.length > 1 ? overview.devices : []).map((lane) => ({
        device: lane.device,
        periods: toSpans(lane.periods),
        periods_total: lane.periods_total,
        periods_merged: lane.periods_merged,
      })),
      devices_more: overview.devices_more,
      events: overview.events,
      working_seconds: overview.working_seconds,
      real_hours_counted: overview.real_hours_counted,
      expected_seconds: dayExpected,
      balance_seconds: overview.working_seconds - dayExpected,
      off: expected.dayOffOf(key, date),
      first_activity: today?.first_activity ?? null,
      last_activity: today?.last_activity ?? null,
    },
    month: { ...monthRow, days },
  };
}

/**
 * The today, day, week or month view, as the dashboard's pages and their live refresh ask for
 * it: one page of the employee table, filtered and sorted over everyone visible.
 */
export function loadDashboardView(
  db: Db,
  query: DashboardQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<TodayView | PeriodView> {
  const { view, date, ...table } = query;
  return view === "today"
    ? loadTodayView(db, settings, now, visible, table)
    : loadPeriodView(db, { period: view, date, ...table }, settings, now, visible);
}
