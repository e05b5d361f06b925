import { readFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  formatClock,
  formatDateRange,
  formatDay,
  formatDayLong,
  formatBalance,
  formatDuration,
  formatMonth,
  formatWhenRelative,
} from "@/app/_components/format";
import { assignTeams, createAccount } from "@/lib/auth/accounts";
import { listTeams, type Team } from "@/lib/auth/teams";
import { openDb } from "@/lib/db";
import type { DeviceRow } from "@/lib/devices/fleet";
import type { RealWorkHoursRow } from "@/lib/reports/real-work-hours";
import { toDecimalHours } from "@/lib/reports/export/rows";
import type { SummaryRow } from "@/lib/reports/summary";
import type { Timeline } from "@/lib/reports/timeline";
import type { UserRow, UserStatus } from "@/lib/reports/users";
import { addDays, startOfLocalDay } from "@/lib/time";
import {
  explainFailure,
  findChromium,
  hydrated,
  launchChromium,
  openFresh,
  screenshots,
  takePageProblems,
  watchPage,
} from "../helpers/browser";
import { ingestTokenFor } from "../helpers/credentials";
import { expectSameAsCsv, readXlsx } from "../helpers/xlsx";
import { HOUR_LABELS } from "../helpers/lanes";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { fillDemo } from "../helpers/demo";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

const ADMIN = "dash-admin";
const ADMIN_PASSWORD = "Dashboard-Admin-Passw0rd-1";
const SUPERVISOR = "dash-supervisor";
const SUPERVISOR_PASSWORD = "Dashboard-Superv1sor-Pass";
const EMPLOYEES = 16;
const DAYS = 30;
const WAIT = { timeout: 15_000 };
const LABELS: Record<UserStatus, string> = { working: "Working", idle: "Idle", offline: "Offline" };

type Period = "day" | "week" | "month";
type Row = { username: string; status: string | null; badge: string | null; cells: Record<string, string> };
type HeatRow = {
  username: string;
  cells: { date: string; seconds: number; future: boolean; label: string }[];
  totals: string[];
};
type Marked = Window & { __marker?: string };

const byName = (a: { username: string }, b: { username: string }) =>
  a.username.localeCompare(b.username, undefined, { sensitivity: "base" });
const byWorkedDesc = (a: SummaryRow, b: SummaryRow) => b.working_seconds - a.working_seconds || byName(a, b);
const sum = (rows: SummaryRow[], key: "working_seconds" | "real_hours_counted") =>
  rows.reduce((total, row) => total + row[key], 0);
const datesFrom = (start: string, end: string) => {
  const dates: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) dates.push(d);
  return dates;
};

/** The table rows a page shows (Today, the reports' totals): name, status badge and each number cell's text. */
const readRows = (page: Page): Promise<Row[]> =>
  page.locator("tr[data-username]").evaluateAll((rows) =>
    rows.map((row) => {
      const badge = row.querySelector<HTMLElement>("[data-status]");
      return {
        username: row.getAttribute("data-username") ?? "",
        status: badge?.getAttribute("data-status") ?? null,
        badge: badge ? badge.innerText.replace(/\s+/g, " ").trim() : null,
        cells: Object.fromEntries(
          [...row.querySelectorAll("[data-col]")].map((cell) => [
            cell.getAttribute("data-col") ?? "",
            (cell.textContent ?? "").trim(),
          ]),
        ),
      };
    }),
  );

const readHeatmap = (page: Page): Promise<HeatRow[]> =>
  page.locator("section[aria-labelledby=heatmap-title] tbody tr").evaluateAll((rows) =>
    rows.map((row) => ({
      username: (row.querySelector("th a")?.textContent ?? "").trim(),
      cells: [...row.querySelectorAll("div[data-date]")].map((cell) => ({
        date: cell.getAttribute("data-date") ?? "",
        seconds: Number(cell.getAttribute("data-seconds")),
        future: cell.hasAttribute("data-future"),
        label: cell.getAttribute("title") ?? "",
      })),
      totals: [...row.querySelectorAll(":scope > td")].slice(-3).map((cell) => (cell.textContent ?? "").trim()),
    })),
  );

/** The big number of a stat card (its label is the first line). */
const stat = (page: Page, id: string) => page.locator(`[data-testid="${id}"] > p`).nth(1).innerText();
const names = (rows: { username: string }[]) => rows.map((row) => row.username);
const searchOf = (page: Page) => new URL(page.url()).searchParams;
const periodTitle = (page: Page) => page.getByRole("navigation", { name: "Period" }).locator("p").innerText();
const setMarker = (page: Page) => page.evaluate(() => void ((window as Marked).__marker = "still here"));
const marker = (page: Page) => page.evaluate(() => (window as Marked).__marker ?? null);

// The supervisor dashboard in a real browser against the built server, filled with the demo
// fleet: every number on every page is compared with what the read API gives for the same period.
describe("the dashboard in Chromium, with demo data", () => {
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let ingestToken = "";
  let demoOutput = "";
  let teams: Team[] = [];
  let today = "";
  let timeZone = "";
  const shots = screenshots("dashboard");
  const daySummaries = new Map<string, Map<string, SummaryRow>>();

  beforeAll(async () => {
    findChromium(); // Where there is none, fail at once with what to do rather than skip.
    database = await createTestDatabase("sqlite");
    demoOutput = await fillDemo(database.url, { employees: EMPLOYEES, days: DAYS });
    server = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD });
    ingestToken = await ingestTokenFor(database.url);
    // A supervisor limited to one team, as the admin page would make them.
    const db = openDb(database.url);
    try {
      teams = await listTeams(db);
      const supervisor = await createAccount(
        db,
        { username: SUPERVISOR, role: "supervisor", password: SUPERVISOR_PASSWORD },
        { actor: "tests" },
      );
      await assignTeams(db, supervisor.id, [teams[0].id], { actor: "tests" });
    } finally {
      await db.close();
    }
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watchPage(page);
  }, 120_000);
  // Whatever a test did, by link, click or key, the page logged no error and broke no CSP rule.
  afterEach(async (context) => {
    await explainFailure(context, page, server?.output);
    if (page) expect(takePageProblems(page)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
    shots.print("Dashboard screenshots");
  });

  // -------------------------------------------------------------------------------------------
  // The read API, with the browser's own session cookie.

  async function api<T>(path: string, from: Page = page): Promise<T> {
    const response = await from.request.get(`${server.url}${path}`);
    expect(response.status(), path).toBe(200);
    const body = (await response.json()) as { success: boolean; data: T };
    expect(body.success).toBe(true);
    return body.data;
  }
  const summary = (period: Period, date: string) =>
    api<SummaryRow[]>(`/api/reports/summary?period=${period}&date=${date}`);
  /** Each user's figures on one day, from the API's one-day summary. */
  async function daySummary(date: string): Promise<Map<string, SummaryRow>> {
    if (!daySummaries.has(date))
      daySummaries.set(date, new Map((await summary("day", date)).map((row) => [row.username, row])));
    return daySummaries.get(date)!;
  }
  const membersOf = (team: Team) => new Set(team.userKeys);
  const report = (user: string, state: "working" | "stopped") =>
    fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ingestToken}` },
      body: JSON.stringify({ user, state }),
    });

  async function signIn(on: Page, username: string, password: string) {
    await on.getByLabel("Username").fill(username);
    await on.getByLabel("Password").fill(password);
    await Promise.all([
      on.waitForURL((url) => url.pathname !== "/sign-in"),
      on.getByRole("button", { name: "Sign in" }).click(),
    ]);
  }

  /** Opens a report from the header's navigation and waits for its numbers. */
  async function openFromHeader(name: "Today" | "Day" | "Week" | "Month") {
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name, exact: true }).click();
    await page.waitForURL((url) => url.pathname === (name === "Today" ? "/" : `/reports/${name.toLowerCase()}`));
    await page.getByRole("heading", { level: 1, name: name === "Today" ? "Today" : `${name} report` }).waitFor();
    await page.locator("[aria-busy=true]").waitFor({ state: "detached" });
  }

  /** The report on screen against the API for the same period: rows, totals, and the heatmap day by day. */
  async function expectReportMatchesApi(period: Period, date: string, only?: (row: SummaryRow) => boolean) {
    const all = await summary(period, date);
    const rows = only ? all.filter(only) : all;
    const { period_start: start, period_end: end } = all[0];
    const title =
      period === "day"
        ? formatDayLong(date)
        : period === "week"
          ? `Week of ${formatDateRange(start, end)}`
          : formatMonth(date);
    await expect.poll(() => periodTitle(page), WAIT).toBe(title);

    const shown = await readRows(page);
    expect(names(shown).sort()).toEqual(names(rows).sort());
    const apiRows = new Map(rows.map((row) => [row.username, row]));
    const when = (iso: string | null) => (iso ? formatWhenRelative(iso, period === "day" ? date : "", timeZone) : "—");
    for (const row of shown) {
      const expected = apiRows.get(row.username)!;
      expect(row.cells, row.username).toEqual({
        ...(period === "day" ? {} : { days_active: String(expected.days_active) }),
        first_activity: when(expected.first_activity),
        last_activity: when(expected.last_activity),
        working_seconds: formatDuration(expected.working_seconds),
        real_hours_counted: String(expected.real_hours_counted),
        expected_seconds: formatDuration(expected.expected_seconds),
        balance_seconds: formatBalance(expected.balance_seconds),
      });
    }

    if (!only) {
      const active = all.filter((row) => row.working_seconds > 0);
      const worked = sum(all, "working_seconds");
      expect(await stat(page, "stat-active")).toBe(`${active.length} of ${all.length}`);
      expect(await stat(page, "stat-worked")).toBe(formatDuration(worked));
      expect(await stat(page, "stat-rwh")).toBe(String(sum(all, "real_hours_counted")));
      expect(await stat(page, "stat-average")).toBe(
        active.length ? formatDuration(Math.floor(worked / active.length)) : "—",
      );
    }
    if (period === "day") {
      expect(await page.locator("section[aria-labelledby=heatmap-title]").count()).toBe(0);
      return rows;
    }

    // The heatmap: its days are the period's, each cell is that day's API figure.
    const dates = datesFrom(start, end);
    expect(
      await page
        .locator("section[aria-labelledby=heatmap-title] thead th[data-date]")
        .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-date"))),
    ).toEqual(dates);
    const past = dates.filter((d) => d <= today);
    const perDay = await Promise.all(past.map(daySummary));
    const realHours = new Map(
      (await api<RealWorkHoursRow[]>(`/api/reports/real_work_hours?start_date=${start}&end_date=${end}`)).map((row) => [
        `${row.username}|${row.work_date}`,
        row.real_hours_counted,
      ]),
    );
    const heat = await readHeatmap(page);
    expect(names(heat).sort()).toEqual(names(rows).sort());
    for (const row of heat) {
      const expected = apiRows.get(row.username)!;
      expect(row.cells.map((cell) => cell.date)).toEqual(dates);
      let daysTotal = 0;
      for (const cell of row.cells) {
        if (cell.date > today) {
          expect(cell, `${row.username} ${cell.date}`).toMatchObject({
            future: true,
            seconds: 0,
            label: `${row.username}, ${formatDay(cell.date)}: not yet`,
          });
          continue;
        }
        const seconds = perDay[past.indexOf(cell.date)].get(row.username)?.working_seconds ?? 0;
        const hours = realHours.get(`${row.username}|${cell.date}`) ?? 0;
        daysTotal += seconds;
        expect({ seconds: cell.seconds, label: cell.label }, `${row.username} ${cell.date}`).toEqual({
          seconds,
          label: `${row.username}, ${formatDay(cell.date)}: ${formatDuration(seconds)}, ${hours} Real Work ${hours === 1 ? "Hour" : "Hours"}`,
        });
      }
      // A period's total is the sum of its days, in the API as on the page.
      expect(daysTotal, row.username).toBe(expected.working_seconds);
      expect(row.totals).toEqual([
        formatDuration(expected.working_seconds),
        String(expected.real_hours_counted),
        formatBalance(expected.balance_seconds),
      ]);
    }
    return rows;
  }

  // -------------------------------------------------------------------------------------------

  it("sends a stranger to sign in, and back to the page asked for", async () => {
    await openFresh(page, `${server.url}/reports/week`);
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await signIn(page, ADMIN, ADMIN_PASSWORD);
    expect(new URL(page.url()).pathname).toBe("/reports/week");
    await page.getByRole("heading", { level: 1, name: "Week report" }).waitFor();
    const meta = await api<{ today: string; timezone: string }>("/api/dashboard/today");
    ({ today, timezone: timeZone } = meta);
    expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("shows on Today every employee's live status and day so far, as the API gives them", async () => {
    await openFresh(page, `${server.url}/reports/week`);
    await openFromHeader("Today");
    expect(await page.getByText(formatDayLong(today)).first().isVisible()).toBe(true);

    // Statuses change with time: compare the page with two API reads around its rendering that agree.
    let users: UserRow[] = [];
    let shown: Row[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await api<UserRow[]>("/api/users");
      await page.reload();
      await page.locator("tr[data-username]").first().waitFor();
      shown = await readRows(page);
      users = await api<UserRow[]>("/api/users");
      if (JSON.stringify(before) === JSON.stringify(users)) break;
    }
    const day = await daySummary(today);
    expect(users).toHaveLength(EMPLOYEES);
    expect(names(shown).sort()).toEqual(names(users).sort());

    const statuses = new Map(users.map((user) => [user.username, user]));
    const count = (status: UserStatus) => users.filter((user) => user.status === status).length;
    // The demo arranged who is working, idle and offline now; the page and the API say the same.
    const demo = /Right now: (\d+) working, (\d+) idle, (\d+) offline/.exec(demoOutput);
    expect(demo, demoOutput).not.toBeNull();
    expect([count("working"), count("idle"), count("offline")]).toEqual(demo!.slice(1).map(Number));
    for (const status of ["working", "idle", "offline"] as const) {
      expect(await stat(page, `stat-${status}`), status).toBe(String(count(status)));
      expect(shown.filter((row) => row.status === status)).toHaveLength(count(status));
    }
    for (const row of shown) {
      const user = statuses.get(row.username)!;
      const worked = day.get(row.username);
      expect(row.status, row.username).toBe(user.status);
      expect(row.badge, row.username).toBe(
        `${LABELS[user.status]} since ${formatWhenRelative(user.since, today, timeZone)} (${timeZone})`,
      );
      expect(row.cells, row.username).toEqual({
        first_activity: worked?.first_activity ? formatWhenRelative(worked.first_activity, today, timeZone) : "—",
        last_activity: worked?.last_activity ? formatWhenRelative(worked.last_activity, today, timeZone) : "—",
        working_seconds: formatDuration(worked?.working_seconds ?? 0),
        real_hours_counted: String(worked?.real_hours_counted ?? 0),
        expected_seconds: formatDuration(worked?.expected_seconds ?? 0),
        balance_seconds: formatBalance(worked?.balance_seconds ?? 0),
      });
    }
    // Working first, then idle, then offline; by name within each.
    const order = { working: 0, idle: 1, offline: 2 };
    expect(names(shown)).toEqual(names([...users].sort((a, b) => order[a.status] - order[b.status] || byName(a, b))));
    const rows = [...day.values()];
    expect(await stat(page, "stat-worked")).toBe(formatDuration(sum(rows, "working_seconds")));
    expect(await stat(page, "stat-rwh")).toBe(String(sum(rows, "real_hours_counted")));
    expect(sum(rows, "working_seconds")).toBeGreaterThan(0);
    expect(await page.getByTestId("updated-at").innerText()).toMatch(
      /^Live · Updated \d\d:\d\d · refreshes every minute$/,
    );
    await shots.take(page, "today");
  });

  it.each(["Day", "Week", "Month"] as const)(
    "shows the %s report, opened from the header, with the API's figures",
    async (name) => {
      const period = name.toLowerCase() as Period;
      await openFromHeader(name);
      expect(searchOf(page).get("date")).toBeNull();
      const rows = await expectReportMatchesApi(period, today);
      expect(rows).toHaveLength(EMPLOYEES);
      expect(sum(rows, "working_seconds")).toBeGreaterThan(0);
      if (period !== "day")
        expect(
          await page.locator("section[aria-labelledby=heatmap-title] [data-bucket='5'][role=img]").count(),
        ).toBeGreaterThan(0);
      await shots.take(page, period);
    },
    60_000,
  );

  it("moves between weeks with the arrows, Today, the date picker and Alt+←, keeping the filters", async () => {
    await openFresh(page, `${server.url}/reports/week`);
    await hydrated(page);
    const week = await summary("week", today);
    const lastWeek = addDays(today, -7);
    const previous = page.getByRole("link", { name: "Previous week" });

    await previous.click();
    await page.waitForURL((url) => url.searchParams.get("date") === lastWeek);
    await expectReportMatchesApi("week", lastWeek);
    expect((await summary("week", lastWeek))[0].period_end).toBe(addDays(week[0].period_start, -1));

    await page.getByRole("link", { name: "Next week" }).click();
    await page.waitForURL((url) => url.searchParams.get("date") === today);
    await expect
      .poll(() => periodTitle(page), WAIT)
      .toBe(`Week of ${formatDateRange(week[0].period_start, week[0].period_end)}`);

    // Alt+← goes one week back (not the browser's Back), Today comes home.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("Alt+ArrowLeft");
    await page.waitForURL((url) => url.searchParams.get("date") === lastWeek);
    await expect.poll(() => periodTitle(page), WAIT).toContain("Week of");
    const periodNav = page.getByRole("navigation", { name: "Period" });
    expect(await periodNav.getByRole("link", { name: "Today" }).getAttribute("aria-current")).toBeNull();
    await periodNav.getByRole("link", { name: "Today" }).click();
    await page.waitForURL((url) => url.searchParams.get("date") === today);
    await expect
      .poll(() => periodNav.getByRole("link", { name: "Today" }).getAttribute("aria-current"), WAIT)
      .toBe("date");

    // The picker jumps to the week of any date.
    const chosen = addDays(today, -17);
    await page.getByLabel("Go to date").fill(chosen);
    await page.waitForURL((url) => url.searchParams.get("date") === chosen);
    await expectReportMatchesApi("week", chosen);

    // Filters stay in the URL, and on screen, while moving.
    const team = teams[1];
    await page.getByRole("searchbox", { name: "Filter by name" }).fill(".");
    await page.getByRole("combobox", { name: "Team" }).selectOption(team.name);
    await expect.poll(() => searchOf(page).get("team"), WAIT).toBe(team.name);
    await expect.poll(() => searchOf(page).get("q"), WAIT).toBe(".");
    // The arrow is clicked once it shows the filters, as a person sees them before moving on.
    await expect
      .poll(async () => new URL((await previous.getAttribute("href")) ?? "", server.url).searchParams.get("team"), WAIT)
      .toBe(team.name);
    await previous.click();
    const before = addDays(chosen, -7);
    await page.waitForURL((url) => url.searchParams.get("date") === before);
    expect(searchOf(page).get("q")).toBe(".");
    expect(searchOf(page).get("team")).toBe(team.name);
    expect(await page.getByRole("combobox", { name: "Team" }).inputValue()).toBe(team.name);
    await expectReportMatchesApi("week", before, (row) => membersOf(team).has(row.username));
    // The header's Month link keeps the date and the filters too.
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Month", exact: true }).click();
    await page.waitForURL(
      (url) =>
        url.pathname === "/reports/month" &&
        url.searchParams.get("date") === before &&
        url.searchParams.get("team") === team.name,
    );
    await expectReportMatchesApi("month", before, (row) => membersOf(team).has(row.username));
  }, 60_000);

  it("opens a shared link with the same filtered, sorted rows", async () => {
    const team = [...teams].sort((a, b) => b.userKeys.length - a.userKeys.length)[0];
    const members = [...membersOf(team)];
    // A letter that some, but not all, of the team's names contain.
    const q =
      [..."abcdefghijklmnopqrstuvwxyz"].find((letter) => {
        const hits = members.filter((name) => name.includes(letter)).length;
        return hits >= 2 && hits < members.length;
      }) ?? ".";
    const shared = await context.newPage();
    try {
      await openFresh(
        shared,
        `${server.url}/reports/week?date=${today}&q=${q}&team=${encodeURIComponent(team.name)}&sort=worked&dir=desc`,
      );
      const week = await summary("week", today);
      const expected = week
        .filter((row) => row.username.includes(q) && membersOf(team).has(row.username))
        .sort(byWorkedDesc);
      expect(expected.length).toBeGreaterThanOrEqual(2);
      const rows = await readRows(shared);
      expect(names(rows)).toEqual(names(expected));
      expect(rows.map((row) => row.cells.working_seconds)).toEqual(
        expected.map((row) => formatDuration(row.working_seconds)),
      );
      // The heatmap lists them in the same order.
      expect(names(await readHeatmap(shared))).toEqual(names(expected));
      expect(await shared.getByRole("searchbox", { name: "Filter by name" }).inputValue()).toBe(q);
      expect(await shared.getByRole("combobox", { name: "Team" }).inputValue()).toBe(team.name);
      expect(
        await shared
          .locator("th", { has: shared.getByRole("button", { name: "Time worked", exact: true }) })
          .getAttribute("aria-sort"),
      ).toBe("descending");
      expect(await shared.getByText(`${expected.length} of ${week.length} employees`).isVisible()).toBe(true);
      expect(takePageProblems(shared)).toEqual([]);
    } finally {
      await shared.close();
    }
  });

  it("draws the team's day on a fresh load of a shared Day link: the table's rows, the present, each bar by keyboard", async () => {
    const day = await summary("day", today);
    // The team with most people at work today, sorted by time worked: the order differs from the names'.
    const worked = (team: Team) => day.filter((row) => membersOf(team).has(row.username) && row.working_seconds > 0);
    const team = [...teams].sort((a, b) => worked(b).length - worked(a).length)[0];
    const expected = day.filter((row) => membersOf(team).has(row.username)).sort(byWorkedDesc);
    expect(worked(team).length).toBeGreaterThanOrEqual(2);
    const shared = await context.newPage();
    try {
      await openFresh(
        shared,
        `${server.url}/reports/day?date=${today}&team=${encodeURIComponent(team.name)}&sort=worked&dir=desc`,
      );
      const timeline = shared.getByRole("list", { name: `Working periods per employee, ${formatDayLong(today)}` });
      const rows = timeline.locator("li[data-username]");
      // One row per row of the table, in the table's order.
      const order = await rows.evaluateAll((items) => items.map((item) => item.getAttribute("data-username")));
      expect(order).toEqual(names(await readRows(shared)));
      expect(order).toEqual(names(expected));

      // Each row is named by its periods, as the timeline API gives them.
      const dayStart = startOfLocalDay(today, timeZone);
      const span = startOfLocalDay(addDays(today, 1), timeZone) - dayStart;
      const periodsOf = async (username: string) =>
        (await api<Timeline>(`/api/users/${encodeURIComponent(username)}/timeline?date=${today}`)).periods;
      for (const row of expected) {
        const periods = await periodsOf(row.username);
        const item = rows.filter({ has: shared.locator(`a[href^="/employees/${encodeURIComponent(row.username)}?"]`) });
        if (!periods.length) {
          expect(await item.getByRole("img").count(), row.username).toBe(0);
          continue;
        }
        const named = periods
          .slice(0, 8)
          .map((p) => `${formatClock(p.start, timeZone)}–${formatClock(p.end, timeZone)}`)
          .join(", ");
        const more = periods.length > 8 ? `, and ${periods.length - 8} more` : "";
        expect(await item.getByRole("img").getAttribute("aria-label")).toBe(`${row.username}: ${named}${more}`);
      }

      // The first row's bars sit where its periods fall, and the present is marked on the same scale.
      const first = expected[0];
      const periods = await periodsOf(first.username);
      const lane = rows.first().getByRole("img");
      const track = (await lane.boundingBox())!;
      expect(track.width).toBeGreaterThan(400);
      const xOf = (instant: number) => track.x + (Math.min(span, Math.max(0, instant - dayStart)) / span) * track.width;
      const drawn = (await lane.locator("path[data-lane-bars]").boundingBox())!;
      expect(drawn.x).toBeCloseTo(xOf(Date.parse(periods[0].start)), 0);
      expect(drawn.x + drawn.width).toBeCloseTo(xOf(Date.parse(periods.at(-1)!.end)), 0);
      const now = shared.locator("svg[data-now] line");
      const nowAt = Date.parse((await shared.locator("svg[data-now]").getAttribute("data-now"))!);
      expect((await now.boundingBox())!.x + 1).toBeCloseTo(xOf(nowAt), 0);

      // From the first name, Tab reaches its bars: the first bar's start, end and length are told,
      // and the arrow walks to the next.
      await hydrated(shared);
      const detail = shared.locator("[data-timeline-detail]");
      const told = (i: number) => {
        const { start, end } = periods[i];
        const seconds = Math.floor((Date.parse(end) - Date.parse(start)) / 1000);
        return `${first.username}: ${formatClock(start, timeZone)} – ${formatClock(end, timeZone)}, ${formatDuration(seconds)} (period ${i + 1} of ${periods.length})`;
      };
      await rows.first().getByRole("link", { name: first.username }).focus();
      await shared.keyboard.press("Tab");
      expect(await lane.evaluate((element) => element === document.activeElement)).toBe(true);
      await expect.poll(() => detail.innerText(), WAIT).toBe(told(0));
      expect(await shared.locator("svg[data-hovered]").count()).toBe(1);
      await shots.take(shared, "day-team-timeline");
      // The theme follows the system's until a reader picks one.
      await shared.emulateMedia({ colorScheme: "dark" });
      await shots.take(shared, "day-team-timeline-dark");
      if (periods.length > 1) {
        await shared.keyboard.press("ArrowRight");
        await expect.poll(() => detail.innerText(), WAIT).toBe(told(1));
      }
      // Pointing at the last bar tells it too.
      const last = periods.at(-1)!;
      await shared.mouse.move(xOf((Date.parse(last.start) + Date.parse(last.end)) / 2), track.y + track.height / 2);
      await expect.poll(() => detail.innerText(), WAIT).toBe(told(periods.length - 1));
      expect(takePageProblems(shared)).toEqual([]);
    } finally {
      await shared.close();
    }
  });

  it("opens a shared link to page 2 of a filtered, sorted week, and turns its pages by keyboard", async () => {
    const week = await summary("week", today);
    // A letter most, but not all, names contain: more than one page of 10.
    const q =
      [..."aeiounrlst"].find((letter) => {
        const hits = week.filter((row) => row.username.toLowerCase().includes(letter)).length;
        return hits > 10 && hits < week.length;
      }) ?? ".";
    const expected = week.filter((row) => row.username.toLowerCase().includes(q)).sort(byWorkedDesc);
    expect(expected.length).toBeGreaterThan(10);
    const shared = await context.newPage();
    try {
      await openFresh(shared, `${server.url}/reports/week?date=${today}&q=${q}&sort=worked&dir=desc&size=10&page=2`);
      expect(names(await readRows(shared))).toEqual(names(expected.slice(10, 20)));
      const pager = shared.getByRole("navigation", { name: "Pages of the table" });
      const range = pager.getByTestId("page-range");
      expect(await range.innerText()).toBe(`11–${Math.min(20, expected.length)} of ${expected.length}`);
      expect(await shared.getByText(`${expected.length} of ${week.length} employees`).isVisible()).toBe(true);
      await hydrated(shared);

      // Enter on Previous page, then Tab to Next page and Space: the rows follow, the URL too.
      await pager.getByRole("button", { name: "Previous page" }).focus();
      await shared.keyboard.press("Enter");
      await expect.poll(async () => names(await readRows(shared)), WAIT).toEqual(names(expected.slice(0, 10)));
      expect(searchOf(shared).get("page")).toBeNull();
      expect(await range.innerText()).toBe(`1–10 of ${expected.length}`);
      await pager.getByRole("button", { name: "Next page" }).focus();
      await shared.keyboard.press("Space");
      await expect.poll(async () => names(await readRows(shared)), WAIT).toEqual(names(expected.slice(10, 20)));
      expect(searchOf(shared).get("page")).toBe("2");
      expect(searchOf(shared).get("sort")).toBe("worked");
      expect(takePageProblems(shared)).toEqual([]);
    } finally {
      await shared.close();
    }
  });

  it("filters and sorts Today's table in place, without reloading, and says when nothing matches", async () => {
    await openFromHeader("Today");
    await hydrated(page);
    await setMarker(page);
    const users = await api<UserRow[]>("/api/users");
    const day = await daySummary(today);
    const search = page.getByRole("searchbox", { name: "Filter by name" });

    await search.fill("an");
    await expect
      .poll(async () => names(await readRows(page)).sort(), WAIT)
      .toEqual(names(users.filter((user) => user.username.includes("an"))).sort());
    expect(searchOf(page).get("q")).toBe("an");
    await search.fill("");

    const team = teams.find((t) => t.userKeys.length >= 2)!;
    await page.getByRole("combobox", { name: "Team" }).selectOption(team.name);
    await expect.poll(async () => names(await readRows(page)).sort(), WAIT).toEqual([...membersOf(team)].sort());
    expect(searchOf(page).get("team")).toBe(team.name);
    expect(await page.getByText(`${team.userKeys.length} of ${users.length} employees`).isVisible()).toBe(true);
    await shots.take(page, "today-filtered");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(async () => (await readRows(page)).length, WAIT).toBe(users.length);
    expect(searchOf(page).get("team")).toBeNull();

    // A header sorts (most first for numbers), a second press reverses.
    const worked = page.getByRole("button", { name: "Time worked", exact: true });
    const header = page.locator("th", { has: worked });
    const byWorked = [...day.values()].sort(byWorkedDesc);
    await worked.click();
    await expect.poll(() => header.getAttribute("aria-sort"), WAIT).toBe("descending");
    expect(names(await readRows(page))).toEqual(names(byWorked));
    expect(searchOf(page).get("sort")).toBe("worked");
    await worked.click();
    await expect.poll(() => header.getAttribute("aria-sort"), WAIT).toBe("ascending");
    expect(names(await readRows(page))).toEqual(
      names([...day.values()].sort((a, b) => a.working_seconds - b.working_seconds || byName(a, b))),
    );
    // Ascending is the table's default direction, which the URL leaves out.
    expect(searchOf(page).get("sort")).toBe("worked");
    expect(searchOf(page).get("dir")).toBeNull();
    await page.getByRole("button", { name: "Status", exact: true }).click();
    await expect.poll(() => searchOf(page).get("sort"), WAIT).toBeNull();

    await search.fill("nobody-by-this-name");
    const empty = page.getByText("No employee matches these filters");
    await empty.waitFor();
    expect(await page.locator("tr[data-username]").count()).toBe(0);
    await shots.take(page, "empty-filter");
    await page.locator("main").getByRole("button", { name: "Clear filters" }).last().click();
    await expect.poll(async () => (await readRows(page)).length, WAIT).toBe(users.length);
    expect(await search.inputValue()).toBe("");
    expect(searchOf(page).get("q")).toBeNull();
    // Every change replaced the URL in place: the page was never reloaded.
    expect(await marker(page)).toBe("still here");
  });

  it("opens an employee from Today: periods, figures and month as the API gives them", async () => {
    await openFromHeader("Today");
    const day = await daySummary(today);
    const worker = [...day.values()].filter((row) => row.working_seconds > 0).sort(byWorkedDesc)[0];
    await page.locator(`tr[data-username="${worker.username}"] th a`).click();
    await page.waitForURL((url) => url.pathname === `/employees/${worker.username}`);
    await page.getByRole("heading", { level: 1, name: worker.username }).waitFor();

    const expectDay = async (date: string) => {
      const timeline = await api<Timeline>(`/api/users/${encodeURIComponent(worker.username)}/timeline?date=${date}`);
      const figures = (await daySummary(date)).get(worker.username)!;
      await expect.poll(() => stat(page, "stat-worked"), WAIT).toBe(formatDuration(figures.working_seconds));
      expect(timeline.periods.length).toBeGreaterThan(0);
      // The bars are one image, summed up for a screen reader; the list below names every period.
      const lane = page.getByRole("img", { name: `Working periods of ${worker.username} on ${date}`, exact: true });
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
      await expect
        .poll(
          () => lane.evaluate((svg) => document.getElementById(svg.getAttribute("aria-describedby")!)?.textContent),
          WAIT,
        )
        .toBe(
          `Drawn from ${formatClock(timeline.periods[0].start, timeZone)} to ${formatClock(timeline.periods.at(-1)!.end, timeZone)} as ${plural(timeline.periods.length, "bar")}.`,
        );
      const listed = await page
        .getByRole("list", { name: "Periods", exact: true })
        .locator("li")
        .evaluateAll((items) => items.map((item) => [...item.children].map((part) => part.textContent)));
      expect(listed).toEqual(
        timeline.periods.map((period) => [
          `${formatClock(period.start, timeZone)} – ${formatClock(period.end, timeZone)}`,
          formatDuration(Math.floor((Date.parse(period.end) - Date.parse(period.start)) / 1000)),
        ]),
      );
      expect(timeline.working_seconds).toBe(figures.working_seconds);
      expect(await stat(page, "stat-rwh")).toBe(String(figures.real_hours_counted));
      expect(await stat(page, "stat-first")).toBe(formatClock(figures.first_activity!, timeZone));
      expect(await stat(page, "stat-last")).toBe(formatClock(figures.last_activity!, timeZone));
      expect(
        await page
          .getByText(`${plural(timeline.periods.length, "period")} from ${plural(timeline.events.length, "event")}`)
          .isVisible(),
      ).toBe(true);
    };
    await expectDay(today);

    // The month: totals, the trend chart's bars and the table of days, each day as the API gives it.
    const month = (
      await api<SummaryRow[]>(
        `/api/reports/summary?period=month&date=${today}&username=${encodeURIComponent(worker.username)}`,
      )
    )[0];
    const days = datesFrom(month.period_start, today);
    const perDay = await Promise.all(days.map(async (date) => (await daySummary(date)).get(worker.username)));
    expect(await page.getByTestId("month-totals").innerText()).toBe(
      `${formatDuration(month.working_seconds)} worked · ${month.real_hours_counted} Real Work Hours · ${month.days_active} day${month.days_active === 1 ? "" : "s"} active · ${formatDuration(month.expected_seconds)} expected so far · ${formatBalance(month.balance_seconds)}`,
    );
    expect(await page.locator("figure svg[role=group]").count()).toBe(1);
    const bars = await page
      .locator("figure svg a[data-date]")
      .evaluateAll((links) =>
        links.map((link) => [link.getAttribute("data-date"), Number(link.getAttribute("data-seconds"))]),
      );
    expect(bars).toEqual(days.map((date, i) => [date, perDay[i]?.working_seconds ?? 0]));
    const table = await page
      .locator("tr[data-date]")
      .evaluateAll((rows) =>
        rows.map((row) => [
          row.getAttribute("data-date"),
          ...[...row.querySelectorAll("[data-col]")].map((cell) => (cell.textContent ?? "").trim()),
        ]),
      );
    expect(table).toEqual(
      days.map((date, i) => {
        const figures = perDay[i];
        const worked = figures?.working_seconds ?? 0;
        const when = (iso: string | null | undefined) => (iso ? formatWhenRelative(iso, date, timeZone) : "—");
        return [
          date,
          when(figures?.first_activity),
          when(figures?.last_activity),
          worked ? formatDuration(worked) : "—",
          worked ? String(figures!.real_hours_counted) : "—",
          formatDuration(figures?.expected_seconds ?? 0),
          formatBalance(figures?.balance_seconds ?? 0),
        ];
      }),
    );
    await shots.take(page, "employee");

    // The day before, from the period arrows.
    await page.getByRole("link", { name: "Previous day" }).click();
    const yesterday = addDays(today, -1);
    await page.waitForURL((url) => url.searchParams.get("date") === yesterday);
    if (((await daySummary(yesterday)).get(worker.username)?.working_seconds ?? 0) > 0) await expectDay(yesterday);
    else await page.getByText("No working periods on this day.").waitFor();
    expect(await periodTitle(page)).toBe(formatDayLong(yesterday));
  }, 60_000);

  it("draws the employee page right on a fresh load of its shared link, where the CSP applies", async () => {
    const day = await daySummary(today);
    const worker = [...day.values()].filter((row) => row.working_seconds > 0).sort(byWorkedDesc)[0];
    const user = encodeURIComponent(worker.username);
    await openFresh(page, `${server.url}/employees/${user}?date=${today}`);
    await page.getByRole("heading", { level: 1, name: worker.username }).waitFor();
    const timeline = await api<Timeline>(`/api/users/${user}/timeline?date=${today}`);
    const dayStart = startOfLocalDay(today, timeZone);
    const span = startOfLocalDay(addDays(today, 1), timeZone) - dayStart;
    const lane = page.locator(`svg[role=img][aria-label="Working periods of ${worker.username} on ${today}"]`);
    const track = (await lane.boundingBox())!;
    expect(track.width).toBeGreaterThan(500);
    const xOf = (instant: number) => track.x + (Math.min(span, Math.max(0, instant - dayStart)) / span) * track.width;
    const y = track.y + track.height / 2;

    // Each bar sits where its period falls in the day, and nothing is drawn between them: what is
    // painted at the middle of each period, and of each gap wide enough to see.
    const painted = (points: number[]) =>
      page.evaluate(
        ({ points, y }) =>
          points.map((x) => {
            const hit = document.elementFromPoint(x, y);
            return hit?.matches("path[data-lane-bars], path[data-lane-marks]") ?? false;
          }),
        { points, y },
      );
    const periods = timeline.periods.map((period) => ({ from: Date.parse(period.start), to: Date.parse(period.end) }));
    expect(await painted(periods.map((p) => xOf((p.from + p.to) / 2)))).toEqual(periods.map(() => true));
    const gaps = periods
      .slice(1)
      .map((p, i) => ({ from: periods[i].to, to: p.from }))
      .filter((gap) => xOf(gap.to) - xOf(gap.from) > 8);
    expect(await painted(gaps.map((g) => xOf((g.from + g.to) / 2)))).toEqual(gaps.map(() => false));
    const drawn = (await lane.locator("path[data-lane-bars]").boundingBox())!;
    expect(drawn.x).toBeCloseTo(xOf(periods[0].from), 0);
    expect(drawn.x + drawn.width).toBeCloseTo(xOf(periods.at(-1)!.to), 0);

    // Pointing at a bar tells its times.
    const longest = timeline.periods.reduce((a, b) =>
      Date.parse(b.end) - Date.parse(b.start) > Date.parse(a.end) - Date.parse(a.start) ? b : a,
    );
    await page.mouse.move(xOf((Date.parse(longest.start) + Date.parse(longest.end)) / 2), y);
    await expect
      .poll(() => page.locator("svg[data-hovered] text").textContent(), WAIT)
      .toBe(
        `${formatClock(longest.start, timeZone)} – ${formatClock(longest.end, timeZone)}, ${formatDuration(Math.floor((Date.parse(longest.end) - Date.parse(longest.start)) / 1000))}`,
      );
    await page.mouse.move(track.x + track.width / 2, track.y + track.height + 60);
    await expect.poll(() => page.locator("svg[data-hovered]").count(), WAIT).toBe(0);

    // The hour labels spread across the day, 3 hours (an eighth) apart, not piled up at 00:00.
    const labels = await page.locator("[data-tick]").evaluateAll((ticks) =>
      ticks.map((tick) => {
        const box = tick.getBoundingClientRect();
        return { label: tick.textContent, middle: box.x + box.width / 2 };
      }),
    );
    expect(labels.map((tick) => tick.label)).toEqual(HOUR_LABELS);
    labels.slice(1).forEach((tick, i) => {
      expect(tick.middle, tick.label!).toBeCloseTo(track.x + ((i + 1) / 8) * track.width, -1);
    });

    // The month chart's day labels stand in one row, each under its own bar.
    const chart = page.locator("figure");
    const bars = await chart.locator("svg[role=group] a[data-date] rect[data-bar]").evaluateAll((rects) =>
      rects.map((rect) => {
        const box = rect.getBoundingClientRect();
        return box.x + box.width / 2;
      }),
    );
    const numbers = await chart.locator("[data-day-label]").evaluateAll((spans) =>
      spans.map((span) => {
        const box = span.getBoundingClientRect();
        return { top: box.top, middle: box.x + box.width / 2 };
      }),
    );
    expect(numbers.length).toBeGreaterThanOrEqual(bars.length);
    expect(new Set(numbers.map((label) => Math.round(label.top))).size).toBe(1);
    bars.forEach((middle, i) => expect(numbers[i].middle).toBeCloseTo(middle, 0));
    await shots.take(page, "employee-fresh");
  });

  it("draws a lane per device under the merged bar for someone who used two PCs today", async () => {
    const day = await daySummary(today);
    const users = await api<UserRow[]>("/api/users");
    const twoPcs = users.find((row) => row.devices.length > 1 && (day.get(row.username)?.working_seconds ?? 0) > 0);
    expect(twoPcs, "the demo has someone with a laptop and a desktop who worked today").toBeDefined();
    const user = encodeURIComponent(twoPcs!.username);
    await openFresh(page, `${server.url}/employees/${user}?date=${today}`);
    const lanes = page.getByRole("list", { name: "Devices" });
    await lanes.waitFor();
    const timeline = await api<Timeline>(`/api/users/${user}/timeline?date=${today}`);
    const names = await lanes
      .locator("li[data-device-lane]")
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-device-lane")));
    expect([...names].sort()).toEqual(twoPcs!.devices.map((d) => d.device).sort());
    const dayStart = startOfLocalDay(today, timeZone);
    const span = startOfLocalDay(addDays(today, 1), timeZone) - dayStart;
    // Each device's periods are painted in its own lane, at the middle of each period.
    for (const name of names) {
      const lane = page.locator(`svg[role=img][aria-label="Working periods on ${name}"]`);
      const box = (await lane.boundingBox())!;
      const own = timeline.device_periods.filter((p) => p.device === name);
      const hits = await page.evaluate(
        ({ points, y }) =>
          points.map(
            (x) => document.elementFromPoint(x, y)?.matches("path[data-lane-bars], path[data-lane-marks]") ?? false,
          ),
        {
          points: own.map(
            (p) => box.x + (((Date.parse(p.start) + Date.parse(p.end)) / 2 - dayStart) / span) * box.width,
          ),
          y: box.y + box.height / 2,
        },
      );
      expect(hits, name!).toEqual(own.map(() => true));
    }
    await shots.take(page, "employee-devices");
  });

  it("opens every other page by a fresh load without a console error: status, fleet, sign-in, 404", async () => {
    await openFresh(page, `${server.url}/status`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await openFresh(page, `${server.url}/fleet`);
    await page.locator("tr[data-device]").first().waitFor();
    await openFresh(page, `${server.url}/no-such-page`, { status: 404 });
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("There is no page at this address");
    for (const period of ["day", "week", "month"] as const) {
      await openFresh(page, `${server.url}/reports/${period}?date=${today}`);
      await page.locator("tr[data-username]").first().waitFor();
    }
    const stranger = watchPage(await browser.newPage());
    try {
      await openFresh(stranger, `${server.url}/sign-in`);
      await stranger.getByLabel("Username").waitFor();
      await openFresh(stranger, `${server.url}/employees/anyone`);
      expect(new URL(stranger.url()).pathname).toBe("/sign-in");
    } finally {
      await stranger.close();
    }
  });

  it("exports the week as CSV with the API's figures", async () => {
    await openFresh(page, `${server.url}/reports/week?date=${today}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    const week = await summary("week", today);
    expect(download.suggestedFilename()).toBe(`work-hours-week-${week[0].period_start}.csv`);
    const bytes = readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    expect(text.endsWith("\r\n")).toBe(true);
    const [header, ...lines] = text.slice(0, -2).split("\r\n");
    expect(header).toBe(
      `username,period_start,period_end,working_hours,working_time (h:mm),real_hours_counted,days_active,first_activity (${timeZone}),last_activity (${timeZone}),expected_hours,balance_hours`,
    );
    expect(lines).toHaveLength(week.length);
    const rows = new Map(lines.map((line) => [line.split(",")[0], line.split(",")]));
    for (const expected of week) {
      const row = rows.get(expected.username);
      expect(row, expected.username).toBeDefined();
      const [, start, end, hours, , realHours, daysActive] = row!;
      expect({ start, end, hours, realHours, daysActive }, expected.username).toEqual({
        start: expected.period_start,
        end: expected.period_end,
        hours: toDecimalHours(expected.working_seconds),
        realHours: String(expected.real_hours_counted),
        daysActive: String(expected.days_active),
      });
    }
  });

  it("shows a new event on Today without reloading: the minute refresh, then the Refresh button", async () => {
    const users = await api<UserRow[]>("/api/users");
    const target = users.find((user) => user.status === "offline") ?? users.find((user) => user.status === "idle")!;
    const live = await context.newPage();
    try {
      // Playwright's clock drives the page's timers, so the 60-second refresh is not waited for.
      await live.clock.install();
      const refreshes: string[] = [];
      live.on("request", (request) => {
        if (new URL(request.url()).pathname === "/api/dashboard/today") refreshes.push(request.url());
      });
      await openFresh(live, `${server.url}/`);
      await hydrated(live);
      await setMarker(live);
      const badge = live.locator(`tr[data-username="${target.username}"] [data-status]`);
      const badgeText = async () => (await badge.innerText()).replace(/\s+/g, " ");
      const updated = live.getByTestId("updated-at");
      const generatedBefore = (await updated.getAttribute("data-generated-at"))!;
      const workingBefore = Number(await stat(live, "stat-working"));
      expect(await badge.getAttribute("data-status")).toBe(target.status);

      expect((await report(target.username, "working")).status).toBe(201);
      expect((await api<UserRow[]>("/api/users")).find((user) => user.username === target.username)?.status).toBe(
        "working",
      );
      // Nothing asked the server again yet: the page still shows what it was rendered with.
      expect(await badge.getAttribute("data-status")).toBe(target.status);
      expect(refreshes).toEqual([]);

      await expect
        .poll(async () => {
          await live.clock.fastForward("01:05");
          return badge.getAttribute("data-status");
        }, WAIT)
        .toBe("working");
      expect(refreshes.length).toBeGreaterThan(0);
      expect(await badgeText()).toMatch(/^Working since \d\d:\d\d \(.+\)$/);
      await expect.poll(() => updated.innerText(), WAIT).not.toContain("refreshing");
      const generatedAfter = (await updated.getAttribute("data-generated-at"))!;
      expect(Date.parse(generatedAfter)).toBeGreaterThan(Date.parse(generatedBefore));
      expect(await updated.innerText()).toBe(
        `Live · Updated ${formatClock(generatedAfter, timeZone)} · refreshes every minute`,
      );
      expect(await stat(live, "stat-working")).toBe(String(workingBefore + 1));
      expect(await marker(live)).toBe("still here");

      // The Refresh button asks at once.
      expect((await report(target.username, "stopped")).status).toBe(201);
      await live.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(() => badge.getAttribute("data-status"), WAIT).toBe("idle");
      expect(await badgeText()).toMatch(/^Idle since \d\d:\d\d \(.+\)$/);
      expect(await stat(live, "stat-working")).toBe(String(workingBefore));
      expect(await marker(live)).toBe("still here");
      expect(takePageProblems(live)).toEqual([]);
    } finally {
      await live.close();
    }
  });

  it("explains an unknown employee and a bad date, with a way back", async () => {
    await openFresh(page, `${server.url}/employees/nobody-by-this-name`);
    const alert = page.locator("main [role=alert]");
    expect(await alert.innerText()).toMatch(/^Not found\s+No user named nobody-by-this-name/);
    await shots.take(page, "not-found");
    await alert.getByRole("link", { name: "Back to today's overview" }).click();
    await page.waitForURL((url) => url.pathname === "/");

    await openFresh(page, `${server.url}/reports/day?date=2026-13-40`);
    expect(await alert.innerText()).toMatch(/^This page cannot be shown\s+Date must be a real date/);
    await shots.take(page, "error-bad-date");
    await alert.getByRole("link", { name: "Go to the current day" }).click();
    await page.waitForURL((url) => url.pathname === "/reports/day" && !url.search);
    await page.getByRole("heading", { level: 1, name: "Day report" }).waitFor();
  });

  it("shows a supervisor limited to a team only that team's employees", async () => {
    const team = teams[0];
    const supervisorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const other = await supervisorContext.newPage();
      await openFresh(other, `${server.url}/`);
      await signIn(other, SUPERVISOR, SUPERVISOR_PASSWORD);
      expect(new URL(other.url()).pathname).toBe("/");
      await other.locator("tr[data-username]").first().waitFor();
      expect(names(await readRows(other)).sort()).toEqual([...membersOf(team)].sort());
      expect(await stat(other, "stat-working")).toBe(
        String((await api<UserRow[]>("/api/users", other)).filter((user) => user.status === "working").length),
      );
      expect(names(await api<UserRow[]>("/api/users", other)).sort()).toEqual([...membersOf(team)].sort());
      expect(await other.getByRole("link", { name: "Admin" }).count()).toBe(0);

      await openFresh(other, `${server.url}/reports/month`);
      await other.locator("tr[data-username]").first().waitFor();
      expect(names(await readRows(other)).sort()).toEqual([...membersOf(team)].sort());
      expect(names(await readHeatmap(other)).sort()).toEqual([...membersOf(team)].sort());
      const csv = await other.request.get(`${server.url}/api/reports/export.csv?period=month&date=${today}`);
      expect((await csv.text()).trim().split("\r\n")).toHaveLength(team.userKeys.length + 1);
    } finally {
      await supervisorContext.close();
    }
  });

  it("shows every device on the fleet page: its users, agent, status, last event and token, with flags", async () => {
    const devices = await api<DeviceRow[]>("/api/devices");
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Fleet" }).click();
    await page.waitForURL((url) => url.pathname === "/fleet");
    await openFresh(page, `${server.url}/fleet`);
    const rows = page.locator("tr[data-device]");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(devices.length);
    expect(await stat(page, "stat-devices")).toBe(String(devices.length));
    expect(await stat(page, "stat-working")).toBe(String(devices.filter((d) => d.status === "working").length));
    await shots.take(page, "fleet");

    // The demo's idle RDP session, its older agent and its laptop that went silent ten days ago.
    const rdp = page.locator('tr[data-device="RDS-01"]');
    expect(await rdp.locator("[data-status]").getAttribute("data-status")).toBe("idle");
    expect(await rdp.locator("td[data-col=token]").innerText()).toMatch(/wt_ingest_|not recorded/);
    const newest = devices.map((d) => d.agent).find((agent) => agent === "2.4.0");
    expect(newest).toBe("2.4.0");
    const outdated = devices.filter((d) => d.agent !== "2.4.0");
    expect(outdated.some((d) => d.agent === "2.1.3")).toBe(true);
    expect(await page.locator("td[data-col=agent]", { hasText: "older than 2.4.0" }).count()).toBe(outdated.length);
    expect(await stat(page, "stat-outdated")).toBe(String(outdated.length));
    const weekAgo = Date.now() - 7 * 24 * 3600_000;
    const silent = devices.filter((d) => Date.parse(d.last_event) < weekAgo);
    expect(silent).toHaveLength(1);
    expect(await stat(page, "stat-silent")).toBe("1");
    const silentRow = page.locator(`tr[data-device="${silent[0].device}"]`);
    expect(await silentRow.locator("td[data-col=last_event]").innerText()).toMatch(/silent/);

    // Filter, the silence threshold and the order go into the address.
    await hydrated(page);
    await page.getByRole("searchbox", { name: "Filter devices" }).fill("rds");
    await expect.poll(() => rows.count(), WAIT).toBe(1);
    expect(searchOf(page).get("q")).toBe("rds");
    await page.getByRole("searchbox", { name: "Filter devices" }).fill("");
    await expect.poll(() => rows.count(), WAIT).toBe(devices.length);
    await page.getByLabel(/Silent after/).fill("30");
    await expect.poll(() => stat(page, "stat-silent"), WAIT).toBe("0");
    expect(searchOf(page).get("silent")).toBe("30");
    await page.getByRole("checkbox", { name: "Only flagged devices" }).check();
    await expect.poll(() => rows.count(), WAIT).toBe(outdated.length);
    await page.getByRole("checkbox", { name: "Only flagged devices" }).uncheck();
    await page.getByRole("button", { name: "Last event" }).click();
    await expect.poll(() => searchOf(page).get("sort"), WAIT).toBe("last");
    // The address changes before the table is drawn again in the new order; devices whose last
    // events share an instant may come in either order.
    const newestAt = Math.max(...devices.map((d) => Date.parse(d.last_event)));
    const newestDevices = devices.filter((d) => Date.parse(d.last_event) === newestAt).map((d) => d.device);
    await expect
      .poll(async () => newestDevices.includes((await rows.first().getAttribute("data-device")) ?? "\0"), WAIT)
      .toBe(true);
    await openFresh(page, `${server.url}/fleet?q=RDS&silent=30`);
    expect(await rows.count()).toBe(1);
    expect(await stat(page, "stat-silent")).toBe("0");

    const csv = await page.request.get(`${server.url}/api/devices/export.csv`);
    expect(csv.status()).toBe(200);
    const lines = (await csv.text())
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toMatch(/^device,users,agent,agent_outdated,status/);
    expect(lines).toHaveLength(devices.length + 1);
  });

  it("shows a supervisor limited to a team only the devices their employees used", async () => {
    const team = teams[0];
    const supervisorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const other = await supervisorContext.newPage();
      await openFresh(other, `${server.url}/fleet`);
      await signIn(other, SUPERVISOR, SUPERVISOR_PASSWORD);
      expect(new URL(other.url()).pathname).toBe("/fleet");
      await other.locator("tr[data-device]").first().waitFor();
      const devices = await api<DeviceRow[]>("/api/devices", other);
      const all = await api<DeviceRow[]>("/api/devices");
      expect(devices.length).toBeGreaterThan(0);
      expect(devices.length).toBeLessThan(all.length);
      const members = membersOf(team);
      for (const device of devices)
        for (const user of device.users) expect(members.has(user.toLowerCase()), user).toBe(true);
      expect(await other.locator("tr[data-device]").count()).toBe(devices.length);
      expect(await other.getByRole("button", { name: "Add agents" }).count()).toBe(0);
      expect(
        await other.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Fleet" }).count(),
      ).toBe(1);
    } finally {
      await supervisorContext.close();
    }
  });

  it("switches to the dark theme, keeps it across pages, and fits a tablet", async () => {
    await openFresh(page, `${server.url}/`);
    await hydrated(page);
    const html = page.locator("html");
    expect(await html.getAttribute("class")).toBeNull();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const lightBackground = await background();
    await page.getByTitle("Dark theme").click();
    await expect.poll(() => html.getAttribute("class"), WAIT).toBe("dark");
    expect(await page.getByRole("radio", { name: "Dark theme" }).isChecked()).toBe(true);
    expect((await context.cookies()).find((cookie) => cookie.name === "wt_theme")?.value).toBe("dark");
    await shots.take(page, "today-dark");

    await openFromHeader("Month");
    expect(await html.getAttribute("class")).toBe("dark");
    // A fresh load comes from the server already dark.
    await page.reload();
    expect(await html.getAttribute("class")).toBe("dark");
    expect(await background()).not.toBe(lightBackground);
    await shots.take(page, "month-dark");

    await hydrated(page);
    await page.getByTitle("Light theme").click();
    await expect.poll(() => html.getAttribute("class"), WAIT).toBe("light");
    await page.setViewportSize({ width: 768, height: 1024 });
    try {
      await openFresh(page, `${server.url}/`);
      await page.locator("tr[data-username]").first().waitFor();
      // Nothing wider than the screen but the tables' own scrollers.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
      await shots.take(page, "today-tablet");
      await openFresh(page, `${server.url}/reports/month`);
      await page.locator("section[aria-labelledby=heatmap-title]").waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
      await shots.take(page, "month-tablet");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 60_000);

  it("exports the week and the fleet as XLSX beside the CSV, with the CSV's header and rows", async () => {
    const week = await summary("week", today);
    await openFresh(page, `${server.url}/reports/week?date=${today}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("group", { name: "Export XLSX" }).getByRole("link", { name: "Export XLSX" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`work-hours-week-${week[0].period_start}.xlsx`);
    const sheet = await readXlsx(new Uint8Array(readFileSync(await download.path())).buffer);
    expect(sheet.names).toEqual(["Summary"]);
    const csv = await page.request.get(`${server.url}/api/reports/export.csv?period=week&date=${today}`);
    expectSameAsCsv(sheet, await csv.text());

    await openFresh(page, `${server.url}/fleet`);
    const [fleet] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export XLSX" }).click(),
    ]);
    expect(fleet.suggestedFilename()).toMatch(/^fleet-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const fleetSheet = await readXlsx(new Uint8Array(readFileSync(await fleet.path())).buffer);
    expect(fleetSheet.names).toEqual(["Fleet"]);
    expect(fleetSheet.rows).toHaveLength((await api<DeviceRow[]>("/api/devices")).length);
  });

  // Last: the device it adds would change the figures the tests above compare.
  it("lets an admin add agents from the fleet page: the token once, the zip downloaded, the device arriving", async () => {
    await openFresh(page, `${server.url}/fleet`);
    await hydrated(page);
    await page.getByRole("button", { name: "Add agents" }).click();
    const form = page.getByRole("form", { name: "Add agents" });
    await form.getByLabel(/^Name/).fill("Browser rollout");
    // The browser reached the server at 127.0.0.1, which no other PC can use: the page asks.
    await form.getByRole("button", { name: "Create token and download" }).click();
    await expect.poll(() => form.getByRole("alert").innerText(), WAIT).toMatch(/Enter this server's address/);
    await form.getByLabel(/^Server address/).fill(server.url);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      form.getByRole("button", { name: "Create token and download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("work-tracing-agent-Browser_rollout.zip");
    const token = await page.getByTestId("agents-token").innerText();
    expect(token).toMatch(/^wt_ingest_[A-Za-z0-9_-]{43}$/);
    await shots.take(page, "fleet-add-agents");
    const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
    expect(Object.keys(files)).toContain("work-tracing/schedule_task.ps1");
    const config = strFromU8(files["work-tracing/config.env"]);
    expect(config).toContain(`API_ENDPOINT="${server.url}/api/report"`);
    expect(config).toContain(`AGENT_TOKEN="${token}"`);
    expect(strFromU8(files["work-tracing/INSTALL.txt"])).toContain("schedule_task.ps1");

    // Shown once: a fresh load of the page has no token on it.
    await openFresh(page, `${server.url}/fleet`);
    expect(await page.getByTestId("agents-token").count()).toBe(0);
    // The new PC reports with the zip's token and appears in the fleet.
    const sent = await page.request.post(`${server.url}/api/report`, {
      headers: { authorization: `Bearer ${token}` },
      data: {
        events: [
          {
            user: "rollout-user",
            state: "working",
            ts: new Date().toISOString(),
            device: "ROLLOUT-PC-1",
            agent: "2.4.0",
          },
        ],
      },
    });
    expect(sent.status()).toBe(201);
    await openFresh(page, `${server.url}/fleet`);
    const row = page.locator('tr[data-device="ROLLOUT-PC-1"]');
    await row.waitFor();
    expect(await row.locator("td[data-col=token]").innerText()).toContain("Browser rollout");
  });
});
