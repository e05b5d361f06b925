import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assignTeams, createAccount } from "@/lib/auth/accounts";
import { createTeam, setTeamMembers } from "@/lib/auth/teams";
import { openDb, type Db } from "@/lib/db";
import { formatBalance } from "@/app/_components/format";
import {
  findChromium,
  launchChromium,
  openFresh,
  postAndLoad,
  screenshots,
  explainFailure,
  takePageProblems,
  watchPage,
} from "../helpers/browser";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

const ADMIN = "schedules-admin";
const ADMIN_PASSWORD = "Schedules-Admin-Passw0rd-1";
const SUPERVISOR = "office-lead";
const SUPERVISOR_PASSWORD = "Office-Lead-Passw0rd-22";
const VIEWER = "payroll-viewer";
const VIEWER_PASSWORD = "Payroll-Viewer-Passw0rd-3";
const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/ics");
const H = 3600;

/*
 * Ann (of the supervisor's team) worked 8 h on every weekday of March 2026 before the 30th
 * except Friday 6 March, and 10 h on Monday 2 March. With the default 8 h Monday to Friday, the
 * 6th a holiday and the 30th and 31st on leave, 19 × 8 h were expected: she is 2 h over.
 */
async function seed(db: Db) {
  const at = new Date("2026-02-01T00:00:00Z");
  const insertUser = (name: string) =>
    db.raw.execute(
      `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state) VALUES (?, ?, ?, ?, ?)`,
      [name.toLowerCase(), name, at, at, "stopped"],
    );
  await insertUser("Ann");
  await insertUser("Pat");
  for (let d = 2; d < 30; d++) {
    const date = `2026-03-${String(d).padStart(2, "0")}`;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6 || date === "2026-03-06") continue;
    await db.raw.execute(
      `INSERT INTO user_real_work_summary (user_key, username, work_date, working_seconds, real_hours_counted,
         last_processed_event_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ["ann", "Ann", date, d === 2 ? 10 * H : 8 * H, 12, 1, at],
    );
  }
  const office = await createTeam(db, "Office", { actor: "tests" });
  const field = await createTeam(db, "Field", { actor: "tests" });
  await setTeamMembers(db, office.id, ["Ann"], { actor: "tests" });
  await setTeamMembers(db, field.id, ["Pat"], { actor: "tests" });
  const lead = await createAccount(
    db,
    { username: SUPERVISOR, role: "supervisor", password: SUPERVISOR_PASSWORD },
    { actor: "tests" },
  );
  await assignTeams(db, lead.id, [office.id], { actor: "tests" });
  await createAccount(db, { username: VIEWER, role: "viewer", password: VIEWER_PASSWORD }, { actor: "tests" });
}

// The other browser files run on SQLite: this one runs on PostgreSQL where the tests have it,
// so the pages are browser-tested on both databases.
const PROVIDER = PROVIDERS.includes("postgresql") ? "postgresql" : "sqlite";

// Schedules, holidays and leave in a real browser against the built server: each page opened
// by a fresh load, as an admin and a supervisor use them, and the balance they make.
describe(`expected hours in Chromium, on ${PROVIDER}`, () => {
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const shots = screenshots("schedules");

  beforeAll(async () => {
    findChromium();
    database = await createTestDatabase(PROVIDER);
    server = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD });
    const db = openDb(database.url);
    try {
      await seed(db);
    } finally {
      await db.close();
    }
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    watchPage(page);
  });
  afterEach(async (context) => {
    await explainFailure(context, page, server?.output);
    if (page) expect(takePageProblems(page)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
    shots.print("Expected hours screenshots");
  });

  const status = (p = page) => p.locator("main [role=status]");
  const alert = (p = page) => p.locator("main [role=alert]");
  const submit = async (button: ReturnType<Page["locator"]>, p = page) => {
    await postAndLoad(p, () => button.click());
  };
  const signIn = async (p: Page, path: string, username: string, password: string) => {
    await openFresh(p, `${server.url}${path}`);
    await p.getByLabel("Username").fill(username);
    await p.getByLabel("Password").fill(password);
    await submit(p.getByRole("button", { name: "Sign in" }), p);
    await p.waitForURL((url) => url.pathname === path);
  };

  it("sets the default schedule on the Schedules page", async () => {
    await signIn(page, "/admin/schedules", ADMIN, ADMIN_PASSWORD);
    await openFresh(page, `${server.url}/admin/schedules`);
    const form = page.getByRole("form", { name: "Set a schedule" });
    await form.getByLabel("From").fill("2026-01-01");
    await submit(form.getByRole("button", { name: "Save schedule" }));
    expect(await status().innerText()).toBe("Everyone works 40 h a week from 2026-01-01.");
    const row = page.getByRole("row", { name: /Everyone \(default\)/ });
    expect(await row.innerText()).toMatch(/2026-01-01[\s\S]*40 h/);
    await shots.take(page, "schedules");
  });

  it("adds a holiday and imports a calendar file on the Holidays page", async () => {
    await openFresh(page, `${server.url}/admin/holidays`);
    const add = page.getByRole("form", { name: "Add a holiday" });
    await add.getByLabel("Date").fill("2026-03-06");
    await add.getByLabel("Name").fill("Company day");
    await submit(add.getByRole("button", { name: "Add holiday" }));
    expect(await status().innerText()).toBe("Added Company day on 2026-03-06.");

    const upload = page.getByRole("form", { name: "Import holidays from an .ics file" });
    await upload.getByLabel("iCalendar file (.ics)").setInputFiles(path.join(FIXTURES, "malformed.ics"));
    await submit(upload.getByRole("button", { name: "Import holidays" }));
    expect(await alert().innerText()).toMatch(/^The file is not an iCalendar \(\.ics\) file/);
    await page
      .getByRole("form", { name: "Import holidays from an .ics file" })
      .getByLabel("iCalendar file (.ics)")
      .setInputFiles(path.join(FIXTURES, "national-holidays-de.ics"));
    await submit(page.getByRole("button", { name: "Import holidays" }));
    expect(await status().innerText()).toMatch(/^Imported \d+ holidays from national-holidays-de\.ics/);
    expect(await page.getByRole("row", { name: /Tag der Deutschen Einheit/ }).count()).toBeGreaterThan(0);
    await shots.take(page, "holidays");
  });

  it("lets a supervisor enter leave for their team, and refuses another team's employee", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const lead = watchPage(await context.newPage());
    try {
      await signIn(lead, "/admin/leave", SUPERVISOR, SUPERVISOR_PASSWORD);
      await openFresh(lead, `${server.url}/admin/leave?employee=ann`);
      expect(await lead.getByRole("navigation", { name: "Admin" }).getByRole("link").allInnerTexts()).toEqual([
        "Leave",
      ]);
      const form = lead.getByRole("form", { name: "Enter leave" });
      expect(await form.getByLabel(/^Employee/).inputValue()).toBe("ann");
      await form.getByLabel("From").fill("2026-03-30");
      await form.getByLabel(/^To/).fill("2026-03-31");
      await form.getByLabel("Kind").selectOption("vacation");
      await submit(form.getByRole("button", { name: "Enter leave" }), lead);
      expect(await status(lead).innerText()).toBe("Entered vacation leave for ann, 2026-03-30 to 2026-03-31.");

      const again = lead.getByRole("form", { name: "Enter leave" });
      await again.getByLabel(/^Employee/).fill("Pat");
      await again.getByLabel("From").fill("2026-03-02");
      await submit(again.getByRole("button", { name: "Enter leave" }), lead);
      expect(await alert(lead).innerText()).toBe("You may enter leave only for employees of your own teams");
      expect(await lead.getByRole("row", { name: /ann/ }).count()).toBe(1);
      await shots.take(lead, "leave-supervisor");
      expect(takePageProblems(lead)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the balance on the month report and marks the holiday and leave", async () => {
    await openFresh(page, `${server.url}/reports/month?date=2026-03-10`);
    const row = page.locator('tr[data-username="Ann"]');
    expect(await row.locator('[data-col="balance_seconds"]').innerText()).toBe(formatBalance(2 * H));
    expect(await row.locator('[data-col="expected_seconds"]').innerText()).toBe("152h 00m");
    const holiday = page.locator('[role="img"][data-date="2026-03-06"][data-off="holiday"]');
    expect(await holiday.first().getAttribute("title")).toMatch(/public holiday: Company day/);
    expect(await page.locator('[role="img"][data-date="2026-03-30"][data-off="leave"]').count()).toBe(1);
    await shots.take(page, "month-report");
  });

  it("shows the employee's month with over- and undertime, the day off named, and a way to enter leave", async () => {
    await openFresh(page, `${server.url}/employees/Ann?date=2026-03-30`);
    expect(await page.getByTestId("day-off").innerText()).toMatch(/on leave \(vacation\)/);
    expect(await page.getByTestId("month-balance").innerText()).toBe(formatBalance(2 * H));
    expect(await page.locator('tr[data-date="2026-03-06"]').innerText()).toMatch(/Holiday: Company day/);
    expect(await page.locator('tr[data-date="2026-03-02"] [data-col="balance_seconds"]').innerText()).toBe(
      formatBalance(2 * H),
    );
    expect(await page.getByRole("link", { name: "Enter leave for Ann" }).getAttribute("href")).toBe(
      "/admin/leave?employee=Ann",
    );
    await shots.take(page, "employee-month");
  });

  it("shows a viewer the employee's balance but no way to enter leave", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = watchPage(await context.newPage());
    try {
      await signIn(viewer, "/employees/Ann", VIEWER, VIEWER_PASSWORD);
      await openFresh(viewer, `${server.url}/employees/Ann?date=2026-03-30`);
      expect(await viewer.getByTestId("month-balance").innerText()).toBe(formatBalance(2 * H));
      expect(await viewer.getByRole("link", { name: /Enter leave/ }).count()).toBe(0);
      expect(await viewer.getByRole("link", { name: "Leave" }).count()).toBe(0);
      await openFresh(viewer, `${server.url}/admin/leave?employee=Ann`);
      expect(new URL(viewer.url()).pathname).toBe("/");
      expect(takePageProblems(viewer)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
