import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as getEmployeeView, POST as postEmployeeView } from "@/app/api/dashboard/employees/[username]/route";
import { GET as getDashboardView, POST as postDashboardView } from "@/app/api/dashboard/[view]/route";
import { GET as getRealWorkHours } from "@/app/api/reports/real_work_hours/route";
import { GET as getSummary } from "@/app/api/reports/summary/route";
import { GET as getTimeline } from "@/app/api/users/[username]/timeline/route";
import { GET as getUsers } from "@/app/api/users/route";
import { assignTeams } from "@/lib/auth/accounts";
import { createTeam, setTeamMembers } from "@/lib/auth/teams";
import { loadConfig, type Config } from "@/lib/config";
import { runHoursEngine } from "@/lib/hours/run";
import { toUserKey } from "@/lib/users";
import { EventStore } from "@/lib/ingest/store";
import type { EmployeeView, PeriodView, TodayView } from "@/lib/reports/dashboard";
import type { RealWorkHoursRow } from "@/lib/reports/real-work-hours";
import type { Period } from "@/lib/reports/schemas";
import type { SummaryRow } from "@/lib/reports/summary";
import type { Timeline } from "@/lib/reports/timeline";
import type { UserRow } from "@/lib/reports/users";
import { addDays } from "@/lib/time";
import { bearer, newSession, newToken, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { failed, okData, rejected } from "../helpers/envelope";
import { at, MIN, stopped, working, type Ev } from "../helpers/agent-events";

/*
 * The default settings: REPORT_TIMEZONE Asia/Dubai (UTC+4 all year, no DST), weeks from
 * Monday, GAP 15 minutes, BLOCK 40 minutes. 2026-03-09 is a Monday. Times below are UTC;
 * the comments give the local time.
 */

/** Now: Thursday 2026-03-12 00:30 in Dubai, still Wednesday 2026-03-11 in UTC. */
const NOW = at("2026-03-11T20:30:00Z");
const TODAY = "2026-03-12";

const ALICE = "CORP\\Alice";
const SUPPORT = "Support";
const DAY_SHIFT = "day shift";

type Headers = Record<string, string>;

/** What each agent sent; a batch is received at its last event unless it says otherwise. */
const BATCHES: { receivedAt?: string; events: Ev[] }[] = [
  // Fri 02-27 10:00–10:45: the month before.
  { events: [...working("bob", "2026-02-27T06:00Z", "2026-02-27T06:40Z"), stopped("bob", "2026-02-27T06:45Z")] },
  // Mon 03-02 09:00–11:00.
  { events: [...working(ALICE, "2026-03-02T05:00Z", "2026-03-02T07:00Z"), stopped(ALICE, "2026-03-02T07:00Z")] },
  // Tue 03-03 22:00 to Wed 03-04 01:00: cut at midnight, 2 hours on the 3rd and 1 on the 4th.
  { events: [...working("dave", "2026-03-03T18:00Z", "2026-03-03T20:50Z"), stopped("dave", "2026-03-03T21:00Z")] },
  // Thu 03-05 10:00–11:00, sent late: first seen on 03-11, after that week.
  {
    receivedAt: "2026-03-11T12:00:00Z",
    events: [...working("Erin", "2026-03-05T06:00Z", "2026-03-05T06:50Z"), stopped("Erin", "2026-03-05T07:00Z")],
  },
  // Mon 03-09 08:00–10:00 and 09:00–12:00.
  { events: [...working(ALICE, "2026-03-09T04:00Z", "2026-03-09T06:00Z"), stopped(ALICE, "2026-03-09T06:00Z")] },
  { events: [...working("bob", "2026-03-09T05:00Z", "2026-03-09T08:00Z"), stopped("bob", "2026-03-09T08:00Z")] },
  // Tue 03-10 07:50–09:10 and 13:00–13:50.
  { events: [...working("carol", "2026-03-10T03:50Z", "2026-03-10T05:00Z"), stopped("carol", "2026-03-10T05:10Z")] },
  { events: [...working(ALICE, "2026-03-10T09:00Z", "2026-03-10T09:40Z"), stopped(ALICE, "2026-03-10T09:50Z")] },
  // Wed 03-11 14:00–14:10, silent for 30 minutes (the period ends), then 14:40–15:00.
  {
    events: [
      ...working("bob", "2026-03-11T10:00Z", "2026-03-11T10:10Z"),
      ...working("bob", "2026-03-11T10:40Z", "2026-03-11T10:50Z"),
      stopped("bob", "2026-03-11T11:00Z"),
    ],
  },
  // Wed 03-11 23:00 and still working now, past midnight.
  { events: working(ALICE, "2026-03-11T19:00Z", "2026-03-11T20:30Z") },
  // Thu 03-12 00:05–00:20, idle since.
  { events: [...working("carol", "2026-03-11T20:05Z", "2026-03-11T20:15Z", 5), stopped("carol", "2026-03-11T20:20Z")] },
];

type ConfigState = typeof globalThis & { __workTracingConfig?: Config };
const configState = globalThis as ConfigState;

const call = (
  handler: (request: Request, context: never) => Promise<Response>,
  url: string,
  headers: Headers,
  params: Record<string, string> = {},
) => handler(new Request(`http://localhost${url}`, { headers }), { params: Promise.resolve(params) } as never);

/** An instant as a date and time on the Dubai clock (UTC+4 all year). */
const formatClockIn = (iso: string) =>
  new Date(Date.parse(iso) + 4 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");

/** Every date from `start` to `end`, counted independently of the code under test. */
function everyDate(start: string, end: string): string[] {
  const dates = [start];
  while (dates[dates.length - 1] < end) dates.push(addDays(dates[dates.length - 1], 1));
  return dates;
}

const sameUser = (a: string) => (row: { username: string }) => toUserKey(row.username) === toUserKey(a);
const zeros = {
  working_seconds: 0,
  real_hours_counted: 0,
  days_active: 0,
  first_activity: null,
  last_activity: null,
  expected_seconds: 0,
  balance_seconds: 0,
};
const totalsOf = ({
  username,
  working_seconds,
  real_hours_counted,
  days_active,
  first_activity,
  last_activity,
  expected_seconds,
  balance_seconds,
}: Omit<SummaryRow, "period_start" | "period_end">) => ({
  username,
  working_seconds,
  real_hours_counted,
  days_active,
  first_activity,
  last_activity,
  expected_seconds,
  balance_seconds,
});
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The read API and the dashboard routes, as one reader (a token or a session) calls them. */
function readerOf(headers: Headers) {
  const daySummaries = new Map<string, Promise<SummaryRow[]>>();
  const api = {
    summary: (period: Period, date: string, username?: string) =>
      okData<SummaryRow[]>(
        call(
          getSummary,
          `/api/reports/summary?period=${period}&date=${date}${username ? `&username=${encodeURIComponent(username)}` : ""}`,
          headers,
        ),
      ),
    /** The day summary, asked once per date (the data does not change while the tests read it). */
    day: (date: string) => {
      if (!daySummaries.has(date)) daySummaries.set(date, api.summary("day", date));
      return daySummaries.get(date)!;
    },
    realWorkHours: (start: string, end: string) =>
      okData<RealWorkHoursRow[]>(
        call(getRealWorkHours, `/api/reports/real_work_hours?start_date=${start}&end_date=${end}`, headers),
      ),
    users: () => okData<UserRow[]>(call(getUsers, "/api/users", headers)),
    timeline: (username: string, date: string) =>
      call(getTimeline, `/api/users/${encodeURIComponent(username)}/timeline?date=${date}`, headers, { username }),
    view: (view: string, date?: string, table = "") =>
      call(
        getDashboardView,
        `/api/dashboard/${view}?${new URLSearchParams({ ...(date ? { date } : {}), ...Object.fromEntries(new URLSearchParams(table)) })}`,
        headers,
        { view },
      ),
    employee: (username: string, date?: string) =>
      call(
        getEmployeeView,
        `/api/dashboard/employees/${encodeURIComponent(username)}${date ? `?date=${date}` : ""}`,
        headers,
        { username },
      ),
    periodView: (view: Period, date?: string, table = "") => okData<PeriodView>(api.view(view, date, table)),
    /** By name, as the read API lists users (the page's own first order is by status). */
    todayView: (table = "sort=name") => okData<TodayView>(api.view("today", undefined, table)),
    employeeView: (username: string, date?: string) => okData<EmployeeView>(api.employee(username, date)),
  };
  return api;
}
type Reader = ReturnType<typeof readerOf>;

/** Every number of a day, week or month view against the read API for the same period. */
async function expectPeriodViewMatchesApi(reader: Reader, view: PeriodView) {
  const summary = await reader.summary(view.view, view.date);
  expect(view.employees.map(totalsOf)).toEqual(summary.map(totalsOf));
  for (const row of summary) expect([row.period_start, row.period_end]).toEqual([view.start, view.end]);
  expect(view.dates).toEqual(everyDate(view.start, view.end));

  const rows = await reader.realWorkHours(view.start, view.end);
  const days = await Promise.all(view.dates.map((date) => reader.day(date)));
  for (const employee of view.employees) {
    const expected = view.dates.map((date, i) => ({
      working_seconds: days[i].find(sameUser(employee.username))?.working_seconds ?? 0,
      real_hours_counted:
        rows.find((row) => row.work_date === date && sameUser(employee.username)(row))?.real_hours_counted ?? 0,
      // Each cell's expected hours and balance are the day summary's.
      expected_seconds: days[i].find(sameUser(employee.username))?.expected_seconds ?? 0,
      balance_seconds: days[i].find(sameUser(employee.username))?.balance_seconds ?? 0,
      off: null,
    }));
    expect(employee.days, `${employee.username}'s days of the ${view.view} of ${view.date}`).toEqual(expected);
    // The cells add up to the totals.
    expect(sum(employee.days.map((day) => day.working_seconds))).toBe(employee.working_seconds);
    expect(sum(employee.days.map((day) => day.real_hours_counted))).toBe(employee.real_hours_counted);
    expect(sum(employee.days.map((day) => day.expected_seconds))).toBe(employee.expected_seconds);
    expect(employee.days.filter((day) => day.working_seconds > 0).length).toBe(employee.days_active);
  }
  // Nobody the API has a row for is missing from the view.
  for (const row of rows) expect(view.employees.some(sameUser(row.username)), row.username).toBe(true);
  if (view.view === "day") await expectTeamTimelineMatchesApi(reader, view);
  else expect(view.day_bounds).toBeUndefined();
}

/** The day view's team timeline: each employee's bars are their timeline's merged periods. */
async function expectTeamTimelineMatchesApi(reader: Reader, view: PeriodView) {
  const bounds = view.day_bounds!;
  expect(Date.parse(bounds.ends_at) - Date.parse(bounds.starts_at)).toBe(24 * 3_600_000); // Dubai: no DST
  expect(formatClockIn(bounds.starts_at)).toBe(`${view.date} 00:00`);
  for (const employee of view.employees) {
    const timeline = await okData<Timeline>(reader.timeline(employee.username, view.date));
    const periods = employee.periods!.map(([start, length]) => ({
      start: new Date(Date.parse(bounds.starts_at) + start).toISOString(),
      end: new Date(Date.parse(bounds.starts_at) + start + length).toISOString(),
    }));
    expect(periods, `${employee.username}'s bars on ${view.date}`).toEqual(timeline.periods);
    expect(employee.periods_merged).toBe(false);
  }
}

/** The today view against GET /api/users and the day summary of today. */
async function expectTodayViewMatchesApi(reader: Reader, view: TodayView) {
  const [users, today] = await Promise.all([reader.users(), reader.summary("day", view.today)]);
  expect(
    view.employees.map(({ username, status, since, last_seen }) => ({ username, status, since, last_seen })),
  ).toEqual(users.map(({ devices: _devices, ...user }) => user));
  for (const employee of view.employees) {
    const { days_active: _days, ...day } = totalsOf(
      today.find(sameUser(employee.username)) ?? { ...zeros, username: employee.username },
    );
    const { username, working_seconds, real_hours_counted, first_activity, last_activity } = employee;
    const { expected_seconds, balance_seconds } = employee;
    expect({
      username,
      working_seconds,
      real_hours_counted,
      first_activity,
      last_activity,
      expected_seconds,
      balance_seconds,
    }).toEqual(day);
  }
  for (const row of today) expect(view.employees.some(sameUser(row.username)), row.username).toBe(true);
}

/** The employee view's periods, given compactly as [ms after the day's start, ms long], as instants. */
const periodsOf = ({ day }: EmployeeView) =>
  day.periods.map(([start, length]) => ({
    start: new Date(Date.parse(day.starts_at) + start).toISOString(),
    end: new Date(Date.parse(day.starts_at) + start + length).toISOString(),
  }));

/** An employee view against the timeline, the user's status, and the day and month summaries. */
async function expectEmployeeViewMatchesApi(reader: Reader, view: EmployeeView) {
  const [timeline, users, [day], [month], rows] = await Promise.all([
    okData<Timeline>(reader.timeline(view.username, view.date)),
    reader.users(),
    reader.summary("day", view.date, view.username),
    reader.summary("month", view.date, view.username),
    reader.realWorkHours(view.month.period_start, view.month.period_end),
  ]);
  expect(view.username).toBe(timeline.username);
  expect(periodsOf(view)).toEqual(timeline.periods);
  expect(view.day).toMatchObject({ periods_total: timeline.periods_total, periods_merged: false });
  expect(view.day.events).toBe(timeline.events_total);
  expect(timeline.events).toHaveLength(timeline.events_total);
  expect(view.status).toEqual(users.find(sameUser(view.username)) ?? null);

  const { working_seconds, real_hours_counted, first_activity, last_activity } = view.day;
  const dayRow = day ?? { ...zeros, username: view.username };
  expect({ working_seconds, real_hours_counted, first_activity, last_activity }).toEqual({
    working_seconds: dayRow.working_seconds,
    real_hours_counted: dayRow.real_hours_counted,
    first_activity: dayRow.first_activity,
    last_activity: dayRow.last_activity,
  });
  expect([timeline.working_seconds, timeline.real_hours_counted]).toEqual([working_seconds, real_hours_counted]);

  const { days, ...monthTotals } = view.month;
  if (month) {
    const { username: _u, first_activity: _f, last_activity: _l, ...expected } = month;
    expect(monthTotals).toEqual(expected);
  } else {
    expect(monthTotals).toMatchObject({ working_seconds: 0, real_hours_counted: 0, days_active: 0 });
  }
  expect(days.map((d) => d.date)).toEqual(everyDate(monthTotals.period_start, monthTotals.period_end));
  const daySummaries = await Promise.all(days.map((d) => reader.day(d.date)));
  expect(days).toEqual(
    days.map(({ date }, i) => {
      const row = daySummaries[i].find(sameUser(view.username));
      return {
        date,
        working_seconds: row?.working_seconds ?? 0,
        real_hours_counted:
          rows.find((r) => r.work_date === date && sameUser(view.username)(r))?.real_hours_counted ?? 0,
        first_activity: row?.first_activity ?? null,
        last_activity: row?.last_activity ?? null,
        // Each day's expected hours and balance are the day summary's.
        expected_seconds: row?.expected_seconds ?? 0,
        balance_seconds: row?.balance_seconds ?? 0,
        off: null,
      };
    }),
  );
  expect(sum(days.map((d) => d.working_seconds))).toBe(monthTotals.working_seconds);
  expect(sum(days.map((d) => d.real_hours_counted))).toBe(monthTotals.real_hours_counted);
  expect(days.filter((d) => d.working_seconds > 0).length).toBe(monthTotals.days_active);
}

/** Runs the block with `Date.now()` fixed at NOW and the default settings, restoring both after. */
function useNowAndDefaults() {
  let saved: Config | undefined;
  let configDir: string;
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: NOW });
    saved = configState.__workTracingConfig;
    configDir = mkdtempSync(path.join(os.tmpdir(), "wt-dashboard-"));
    configState.__workTracingConfig = loadConfig({}, configDir);
  });
  afterAll(() => {
    vi.useRealTimers();
    configState.__workTracingConfig = saved;
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });
  return {
    useWeekStartsOn(day: string) {
      configState.__workTracingConfig = loadConfig({ WEEK_STARTS_ON: day }, configDir);
      return () => {
        configState.__workTracingConfig = loadConfig({}, configDir);
      };
    },
  };
}

describe.each(PROVIDERS)("dashboard views on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const settings = useNowAndDefaults();
  let reader: Reader;
  let limited: Reader;
  const cli = { actor: "tests" };

  beforeAll(async () => {
    const db = database.db;
    const store = new EventStore(db);
    for (const batch of BATCHES) {
      const receivedAt = batch.receivedAt ? at(batch.receivedAt) : Math.max(...batch.events.map((e) => e.ts));
      await store.store(
        batch.events.map((e) => ({ userKey: toUserKey(e.user), username: e.user, state: e.state, ts: e.ts })),
        receivedAt,
      );
    }
    expect((await runHoursEngine({ trigger: "test", db, rules: configState.__workTracingConfig!.rules })).status).toBe(
      "ok",
    );

    // Two teams sharing Alice; dave and Erin are in none.
    const support = await createTeam(db, SUPPORT, cli);
    await setTeamMembers(db, support.id, ["corp\\alice", "Carol"], cli);
    const dayShift = await createTeam(db, DAY_SHIFT, cli);
    await setTeamMembers(db, dayShift.id, [ALICE, "bob"], cli);
    const supervisor = await newSession(db, "supervisor");
    await assignTeams(db, supervisor.accountId, [support.id], cli);

    reader = readerOf(bearer(await newToken(db, "read")));
    limited = readerOf(sessionHeader(supervisor.cookie));
  });

  describe("the numbers, against the read API", () => {
    it("gives the hand-worked totals the comparisons below rest on", async () => {
      const week = await reader.periodView("week", "2026-03-04");
      const pick = (name: string) => week.employees.find(sameUser(name))!;
      // Carol, first seen the week after, is not listed; Erin, first seen after it too, is where she worked.
      expect(week.employees.map((e) => e.username)).toEqual(["bob", ALICE, "dave", "Erin"]);
      // Dave's evening is cut at local midnight: 2 hours (3 blocks) on the 3rd, 1 hour (1 block) on the 4th.
      expect(pick("dave").days.slice(1, 3)).toEqual([
        { working_seconds: 7200, real_hours_counted: 3, expected_seconds: 0, balance_seconds: 7200, off: null },
        { working_seconds: 3600, real_hours_counted: 1, expected_seconds: 0, balance_seconds: 3600, off: null },
      ]);
      expect(pick("dave")).toMatchObject({ working_seconds: 10_800, real_hours_counted: 4, days_active: 2 });
      expect(pick("Erin")).toMatchObject({ working_seconds: 3600, real_hours_counted: 1, days_active: 1 });
      expect(pick("bob")).toMatchObject(zeros);

      const today = await reader.todayView();
      expect(today.employees.find(sameUser(ALICE))).toMatchObject({
        status: "working",
        since: "2026-03-11T19:00:00.000Z",
        working_seconds: 1800,
        real_hours_counted: 0,
        first_activity: "2026-03-11T20:00:00.000Z",
      });
      expect(today.employees.find(sameUser("carol"))).toMatchObject({
        status: "idle",
        since: "2026-03-11T20:20:00.000Z",
        working_seconds: 900,
      });
    });

    it("shows the today view's statuses and today's totals exactly as GET /api/users and the day summary", async () => {
      const view = await reader.todayView();
      expect(view.employees.map((e) => e.username)).toEqual(["bob", "carol", ALICE, "dave", "Erin"]);
      await expectTodayViewMatchesApi(reader, view);
    });

    it.each([
      ["day", "2026-03-02"],
      ["day", "2026-03-04"],
      ["day", "2026-03-05"],
      ["day", "2026-03-11"],
      ["day", TODAY],
      ["week", "2026-03-04"],
      ["week", "2026-03-08"],
      ["week", TODAY],
      ["week", "2026-02-25"],
      ["month", "2026-03-20"],
      ["month", "2026-02-10"],
      ["month", "2026-04-01"],
    ] as const)(
      "gives the %s of %s the summary's totals and per-day cells equal to each day's numbers",
      async (period, date) => {
        const view = await reader.periodView(period, date);
        expect([view.view, view.date]).toEqual([period, date]);
        await expectPeriodViewMatchesApi(reader, view);
      },
    );

    it.each([
      [ALICE, "2026-03-09"],
      [ALICE, "2026-03-11"],
      [ALICE, TODAY],
      ["corp\\ALICE", "2026-03-02"],
      ["dave", "2026-03-04"],
      ["bob", "2026-03-11"],
      ["bob", "2026-02-27"],
      ["Erin", "2026-03-05"],
      ["Erin", "2026-02-05"],
      ["carol", "2026-04-15"],
    ])(
      "gives %s's employee view of %s the timeline's periods and the day and month summaries",
      async (username, date) => {
        const view = await reader.employeeView(username, date);
        expect(view.date).toBe(date);
        await expectEmployeeViewMatchesApi(reader, view);
      },
    );

    it("bounds the employee's day by local midnight and splits a period that crosses it", async () => {
      const view = await reader.employeeView(ALICE, "2026-03-11");
      expect([view.day.starts_at, view.day.ends_at]).toEqual(["2026-03-10T20:00:00.000Z", "2026-03-11T20:00:00.000Z"]);
      expect(view.day.periods).toEqual([[23 * 3_600_000, 3_600_000]]);
      expect(periodsOf(view)).toEqual([{ start: "2026-03-11T19:00:00.000Z", end: "2026-03-11T20:00:00.000Z" }]);
      const next = await reader.employeeView(ALICE, TODAY);
      expect(next.day.periods).toEqual([[0, 1_800_000]]);
      expect(periodsOf(next)).toEqual([{ start: "2026-03-11T20:00:00.000Z", end: "2026-03-11T20:30:00.000Z" }]);
      expect(next.month).toMatchObject({
        period_start: "2026-03-01",
        period_end: "2026-03-31",
        working_seconds: 7200 + 7200 + 3000 + 3600 + 1800,
        days_active: 5,
      });
    });
  });

  describe("the dates", () => {
    it("takes today in the report time zone when no date is given", async () => {
      const today = await reader.todayView();
      expect([today.today, today.date, today.timezone]).toEqual([TODAY, TODAY, "Asia/Dubai"]);
      for (const period of ["day", "week", "month"] as const) {
        const view = await reader.periodView(period);
        expect([view.today, view.date], period).toEqual([TODAY, TODAY]);
        await expectPeriodViewMatchesApi(reader, view);
      }
      const employee = await reader.employeeView(ALICE);
      expect(employee.date).toBe(TODAY);
      expect(employee.day.working_seconds).toBe(1800);
    });

    it.each([
      ["day", "2026-03-12", "2026-03-12", "2026-03-12", 1],
      ["week", "2026-03-12", "2026-03-09", "2026-03-15", 7],
      ["week", "2026-03-15", "2026-03-09", "2026-03-15", 7],
      ["week", "2026-03-01", "2026-02-23", "2026-03-01", 7],
      ["month", "2026-02-14", "2026-02-01", "2026-02-28", 28],
      ["month", "2024-02-14", "2024-02-01", "2024-02-29", 29],
      ["month", "2026-04-30", "2026-04-01", "2026-04-30", 30],
      ["month", "2026-03-01", "2026-03-01", "2026-03-31", 31],
    ] as const)("covers the whole %s of %s: %s to %s, %i dates", async (period, date, start, end, count) => {
      const view = await reader.periodView(period, date);
      expect([view.start, view.end, view.dates.length]).toEqual([start, end, count]);
      expect(view.dates).toEqual(everyDate(start, end));
      for (const employee of view.employees) expect(employee.days).toHaveLength(count);
    });

    it("starts weeks on WEEK_STARTS_ON", async () => {
      const restore = settings.useWeekStartsOn("0");
      try {
        const view = await reader.periodView("week", "2026-03-12");
        expect([view.start, view.end]).toEqual(["2026-03-08", "2026-03-14"]);
        expect(view.dates).toEqual(everyDate("2026-03-08", "2026-03-14"));
        await expectPeriodViewMatchesApi(reader, view);
      } finally {
        restore();
      }
    });
  });

  describe("teams", () => {
    it("gives everyone's teams, sorted, and no team for those in none", async () => {
      const view = await reader.periodView("month", "2026-03-12");
      expect(view.teams).toEqual([DAY_SHIFT, SUPPORT]);
      expect(Object.fromEntries(view.employees.map((e) => [e.username, e.teams]))).toEqual({
        bob: [DAY_SHIFT],
        carol: [SUPPORT],
        [ALICE]: [DAY_SHIFT, SUPPORT],
        dave: [],
        Erin: [],
      });
      expect((await reader.employeeView("dave", "2026-03-04")).teams).toEqual([]);
      expect((await reader.todayView()).teams).toEqual([DAY_SHIFT, SUPPORT]);
    });

    it("shows a team-limited supervisor only their teams' members, with the read API's numbers for them", async () => {
      const today = await limited.todayView();
      expect(today.employees.map((e) => e.username)).toEqual(["carol", ALICE]);
      await expectTodayViewMatchesApi(limited, today);
      for (const [period, date] of [
        ["day", "2026-03-10"],
        ["week", TODAY],
        ["month", "2026-03-12"],
      ] as const) {
        const view = await limited.periodView(period, date);
        expect(
          view.employees.map((e) => e.username),
          `${period} ${date}`,
        ).toEqual(["carol", ALICE]);
        await expectPeriodViewMatchesApi(limited, view);
      }
      await expectEmployeeViewMatchesApi(limited, await limited.employeeView(ALICE, "2026-03-10"));
    });

    it("names only the supervisor's own teams, not other teams their members are in", async () => {
      for (const view of [
        await limited.todayView(),
        await limited.periodView("week", TODAY),
        await limited.periodView("month", TODAY),
      ]) {
        expect(view.teams, view.view).toEqual([SUPPORT]);
        for (const employee of view.employees)
          expect(employee.teams, `${view.view} ${employee.username}`).toEqual([SUPPORT]);
      }
      expect((await limited.employeeView(ALICE, TODAY)).teams).toEqual([SUPPORT]);
    });

    it("answers 404 for the employee view of someone outside the supervisor's teams, exactly like the timeline API", async () => {
      for (const username of ["bob", "dave", "ghost"]) {
        const view = await failed(await limited.employee(username, "2026-03-09"), 404);
        const timeline = await failed(await limited.timeline(username, "2026-03-09"), 404);
        expect(view, username).toEqual(timeline);
        expect(view.code).toBe("not_found");
      }
      expect((await limited.employeeView("carol", "2026-03-10")).username).toBe("carol");
      expect((await reader.employeeView("bob", "2026-03-09")).username).toBe("bob");
    });
  });

  describe("the routes' answers to bad requests", () => {
    it("answers 400 naming date for a bad date, and naming view for an unknown view", async () => {
      for (const view of ["today", "day", "week", "month"]) {
        await rejected(await reader.view(view, "2026-02-30"), "date");
        await rejected(await reader.view(view, "12-03-2026"), "date");
      }
      await rejected(await reader.employee(ALICE, "2026-13-01"), "date");
      await rejected(await reader.view("year", "2026-03-12"), "view");
      await rejected(await reader.view("year"), "view");
    });

    it("answers 404 for an unknown employee", async () => {
      expect((await failed(await reader.employee("nobody", "2026-03-12"), 404)).code).toBe("not_found");
    });

    it("answers 405 with the envelope for anything but GET", async () => {
      for (const handler of [postDashboardView, postEmployeeView]) {
        const res = await handler();
        expect((await failed(res, 405)).code).toBe("method_not_allowed");
        expect(res.headers.get("allow")).toBe("GET");
      }
    });
  });
});

describe.each(PROVIDERS)("dashboard views of an empty database on %s", (provider) => {
  const database = useProcessDatabase(provider);
  useNowAndDefaults();
  let reader: Reader;

  beforeAll(async () => {
    reader = readerOf(bearer(await newToken(database.db, "read")));
  });

  it("gives every view with no employees and no teams, and each period's every date", async () => {
    const today = await reader.todayView();
    expect(today).toMatchObject({ view: "today", date: TODAY, today: TODAY, employees: [], teams: [] });
    for (const [period, count] of [
      ["day", 1],
      ["week", 7],
      ["month", 31],
    ] as const) {
      const view = await reader.periodView(period, TODAY);
      expect(view).toMatchObject({ view: period, employees: [], teams: [] });
      expect(view.dates).toHaveLength(count);
      await expectPeriodViewMatchesApi(reader, view);
    }
    expect((await failed(await reader.employee("anyone"), 404)).code).toBe("not_found");
  });
});

describe.each(PROVIDERS)("the employee view of someone with several devices on %s", (provider) => {
  const database = useProcessDatabase(provider);
  useNowAndDefaults();
  let reader: Reader;
  const FRANK = "CORP\\Frank";
  const GINA = "CORP\\Gina";
  const DATE = "2026-03-10";
  const on = (device: string, events: Ev[]) =>
    events.map((e) => ({
      userKey: toUserKey(e.user),
      username: e.user,
      state: e.state,
      ts: e.ts,
      device,
      deviceKey: device.toLowerCase(),
    }));

  beforeAll(async () => {
    const store = new EventStore(database.db);
    await store.store(
      [
        // Laptop 09:00–10:00 and desktop 09:30–11:00, local: merged 09:00–11:00.
        ...on("Laptop", [
          ...working(FRANK, "2026-03-10T05:00Z", "2026-03-10T06:00Z"),
          stopped(FRANK, "2026-03-10T06:00Z"),
        ]),
        ...on("Desktop", [
          ...working(FRANK, "2026-03-10T05:30Z", "2026-03-10T07:00Z"),
          stopped(FRANK, "2026-03-10T07:00Z"),
        ]),
        ...on("PC-7", [...working(GINA, "2026-03-10T05:00Z", "2026-03-10T05:30Z"), stopped(GINA, "2026-03-10T05:30Z")]),
      ],
      at("2026-03-10T08:00:00Z"),
    );
    expect(
      (await runHoursEngine({ trigger: "test", db: database.db, rules: configState.__workTracingConfig!.rules }))
        .status,
    ).toBe("ok");
    reader = readerOf(bearer(await newToken(database.db, "read")));
  });

  it("draws the merged periods and, under them, each device's own, as the timeline gives them", async () => {
    const view = await reader.employeeView(FRANK, DATE);
    const timeline = await okData<Timeline>(reader.timeline(FRANK, DATE));
    expect(periodsOf(view)).toEqual([{ start: "2026-03-10T05:00:00.000Z", end: "2026-03-10T07:00:00.000Z" }]);
    expect(periodsOf(view)).toEqual(timeline.periods);
    expect(view.day).toMatchObject({
      working_seconds: 7200,
      real_hours_counted: 3,
      only_device: null,
      devices_more: 0,
    });
    const lanes = view.day.devices.map((lane) => ({
      device: lane.device,
      periods: periodsOf({ ...view, day: { ...view.day, periods: lane.periods } }),
    }));
    // The most recently active device first: the desktop reported last.
    expect(lanes).toEqual([
      { device: "Desktop", periods: [{ start: "2026-03-10T05:30:00.000Z", end: "2026-03-10T07:00:00.000Z" }] },
      { device: "Laptop", periods: [{ start: "2026-03-10T05:00:00.000Z", end: "2026-03-10T06:00:00.000Z" }] },
    ]);
    for (const lane of lanes)
      expect(lane.periods).toEqual(
        timeline.device_periods.filter((p) => p.device === lane.device).map(({ start, end }) => ({ start, end })),
      );
    expect(timeline.events.filter((e) => e.device === "Laptop")).toHaveLength(
      working(FRANK, "2026-03-10T05:00Z", "2026-03-10T06:00Z").length + 1,
    );
  });

  it("names the one device of someone who only ever used one, without drawing it twice", async () => {
    const view = await reader.employeeView(GINA, DATE);
    expect(view.day).toMatchObject({ only_device: "PC-7", devices: [], devices_more: 0, working_seconds: 1800 });
  });
});

describe.each(PROVIDERS)("the employee tables a page at a time on %s", (provider) => {
  const database = useProcessDatabase(provider);
  useNowAndDefaults();
  let reader: Reader;
  let limited: Reader;
  const DATE = "2026-03-10";
  const PEOPLE = 60;
  const name = (i: number) => `user${String(i).padStart(2, "0")}`;
  /** Everyone works a different number of minutes on DATE (37 and 60 share no factor): 5 to 64. */
  const minutesOf = (i: number) => 5 + ((i * 37) % 60);
  /** The first five are still working now. */
  const WORKING_NOW = 5;

  beforeAll(async () => {
    const db = database.db;
    const store = new EventStore(db);
    const events: Ev[] = [];
    for (let i = 0; i < PEOPLE; i++) {
      const from = at(`${DATE}T05:00:00Z`);
      const to = new Date(from + minutesOf(i) * MIN).toISOString();
      events.push(...working(name(i), `${DATE}T05:00:00Z`, to, 1), stopped(name(i), to));
      if (i < WORKING_NOW) events.push(...working(name(i), "2026-03-11T20:20:00Z", "2026-03-11T20:30:00Z", 1));
    }
    await store.store(
      events.map((e) => ({ userKey: toUserKey(e.user), username: e.user, state: e.state, ts: e.ts })),
      NOW,
    );
    expect((await runHoursEngine({ trigger: "test", db, rules: configState.__workTracingConfig!.rules })).status).toBe(
      "ok",
    );
    const even = await createTeam(db, "Even", { actor: "tests" });
    await setTeamMembers(
      db,
      even.id,
      Array.from({ length: PEOPLE / 2 }, (_, k) => name(2 * k)),
      { actor: "tests" },
    );
    const supervisor = await newSession(db, "supervisor");
    await assignTeams(db, supervisor.accountId, [even.id], { actor: "tests" });
    reader = readerOf(bearer(await newToken(db, "read")));
    limited = readerOf(sessionHeader(supervisor.cookie));
  });

  /** Every page of a table, in order, as a reader turns them. */
  async function everyPage(of: Reader, view: Period, table: string) {
    const first = await of.periodView(view, DATE, table);
    const pages = [first];
    for (let page = 2; page <= first.table.pages; page++)
      pages.push(await of.periodView(view, DATE, `${table}&page=${page}`));
    return pages;
  }

  it("sorts by time worked over everyone, then cuts pages that together list each employee once", async () => {
    const pages = await everyPage(reader, "day", "sort=worked&dir=desc&size=25");
    expect(pages.map((p) => p.employees.length)).toEqual([25, 25, 10]);
    expect(pages[1].table).toMatchObject({ total: 60, matched: 60, page: 2, pages: 3, size: 25, first: 26 });
    const listed = pages.flatMap((p) => p.employees);
    const byMinutes = Array.from({ length: PEOPLE }, (_, i) => i).sort((a, b) => minutesOf(b) - minutesOf(a));
    expect(listed.map((e) => e.username)).toEqual(byMinutes.map(name));
    // The page's boundary falls where the order says: the 25th longest day ends page 1.
    expect(pages[0].employees.at(-1)!.working_seconds).toBeGreaterThan(pages[1].employees[0].working_seconds);
    // The totals are everyone's on every page, not the page's.
    const everyone = sum(listed.map((e) => e.working_seconds));
    expect(everyone).toBe(sum(Array.from({ length: PEOPLE }, (_, i) => minutesOf(i) * 60)));
    for (const page of pages) expect(page.totals).toMatchObject({ active: PEOPLE, working_seconds: everyone });
  });

  it("filters by team and name over everyone before cutting the page", async () => {
    const [view] = await everyPage(reader, "week", "team=Even&q=USER1&size=25");
    // Even members whose name holds "user1": user10, user12 … user18.
    expect(view.employees.map((e) => e.username)).toEqual(["user10", "user12", "user14", "user16", "user18"]);
    expect(view.table).toMatchObject({ total: 60, matched: 5, pages: 1 });
    // A month's page carries its own employees' days, adding up to their totals.
    const month = await reader.periodView("month", DATE, "sort=worked&size=25&page=2");
    expect(month.employees).toHaveLength(25);
    for (const employee of month.employees)
      expect(sum(employee.days.map((d) => d.working_seconds))).toBe(employee.working_seconds);
  });

  it("counts only a supervisor's own teams, on every page", async () => {
    const pages = await everyPage(limited, "day", "size=25");
    expect(pages.map((p) => p.employees.length)).toEqual([25, 5]);
    expect(pages[0].table).toMatchObject({ total: 30, matched: 30, pages: 2 });
    expect(pages.flatMap((p) => p.employees.map((e) => e.username))).toEqual(
      Array.from({ length: PEOPLE / 2 }, (_, k) => name(2 * k)),
    );
    expect(pages[0].totals.active).toBe(30);
  });

  it("filters today's table by live status and keeps the counts of everyone", async () => {
    const view = await reader.todayView("status=working");
    expect(view.employees.map((e) => e.username)).toEqual(Array.from({ length: WORKING_NOW }, (_, i) => name(i)));
    expect(view.table).toMatchObject({ total: 60, matched: WORKING_NOW });
    expect(view.totals).toMatchObject({ working: WORKING_NOW, offline: PEOPLE - WORKING_NOW });
    // One page holds a small installation: all 60 at the usual size.
    expect((await reader.todayView()).table).toMatchObject({ matched: 60, page: 1, pages: 1, size: 100 });
  });

  it("opens the last page for a page past it, and answers 400 naming a bad size, sort or status", async () => {
    expect((await reader.periodView("day", DATE, "size=25&page=9")).table).toMatchObject({ page: 3, first: 51 });
    await rejected(await reader.view("day", DATE, "size=7"), "size");
    await rejected(await reader.view("day", DATE, "sort=status"), "sort");
    await rejected(await reader.view("today", undefined, "status=asleep"), "status");
    await rejected(await reader.view("week", DATE, "page=0"), "page");
  });
});
