import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as holidaysPost } from "@/app/admin/holidays/actions/route";
import { POST as leavePost } from "@/app/admin/leave/actions/route";
import { POST as schedulesPost } from "@/app/admin/schedules/actions/route";
import { openFlash, type Flash } from "@/app/admin/_lib/flash";
import { FLASH_COOKIE } from "@/app/admin/_lib/flash-cookie";
import { GET as getDashboardView } from "@/app/api/dashboard/[view]/route";
import { GET as getSummary } from "@/app/api/reports/summary/route";
import { GET as getTimeline } from "@/app/api/users/[username]/timeline/route";
import { listAudit } from "@/lib/auth/audit";
import { csrfTokenFor } from "@/lib/auth/csrf";
import { assignTeams } from "@/lib/auth/accounts";
import { createTeam, setTeamMembers } from "@/lib/auth/teams";
import type { Db } from "@/lib/db";
import { loadDashboardView, type PeriodView } from "@/lib/reports/dashboard";
import { toCsvFile } from "@/lib/reports/export/csv";
import { loadExportTable } from "@/lib/reports/export/rows";
import { toXlsxFile } from "@/lib/reports/export/xlsx";
import { summarise } from "@/lib/reports/summary";
import { parseHolidayCalendar } from "@/lib/schedules/ics";
import { listHolidays, listLeave, listSchedules } from "@/lib/schedules/store";
import { bearer, newSession, newToken, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { okData } from "../helpers/envelope";
import { readXlsx } from "../helpers/xlsx";

/*
 * Worked by hand, in Europe/Berlin: March 2026 starts on a Sunday and has 22 weekdays; its
 * clocks go forward on Sunday 29 March (a 23-hour day). The default schedule is 8 h Monday to
 * Friday; the "Part-time" team's members work 4 h Monday to Wednesday from 16 March (before
 * that, the default); Friday 6 March is a public holiday, and so is Saturday 7 March (a weekend:
 * nothing more to subtract). Ann is on vacation from Monday 30 March to Thursday 2 April.
 * "Now" is 15 April, so every day of March counts.
 */
const SETTINGS = { timeZone: "Europe/Berlin", weekStartsOn: 1, gapMs: 15 * 60_000 };
const NOW = Date.parse("2026-04-15T10:00:00Z");
const H = 3600;
const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/ics");
const ORIGIN = "http://localhost";

type Post = (request: Request) => Promise<Response>;

async function seedWork(db: Db, username: string, days: Record<string, number>) {
  const key = username.toLowerCase();
  const first = new Date("2026-02-01T00:00:00Z");
  await db.raw.execute(
    `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state) VALUES (?, ?, ?, ?, ?)`,
    [key, username, first, first, "stopped"],
  );
  for (const [date, seconds] of Object.entries(days))
    await db.raw.execute(
      `INSERT INTO user_real_work_summary (user_key, username, work_date, working_seconds, real_hours_counted,
         last_processed_event_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [key, username, date, seconds, Math.floor(seconds / 2400), 1, first],
    );
}

describe.each(PROVIDERS)("expected hours on %s", (provider) => {
  const database = useProcessDatabase(provider);
  let admin: Awaited<ReturnType<typeof newSession>>;
  let supervisor: Awaited<ReturnType<typeof newSession>>;
  let viewer: Awaited<ReturnType<typeof newSession>>;
  let partTimeId = 0;

  const post = (route: Post, fields: Record<string, string | Blob>, cookie: string, file?: string) => {
    const form = new FormData();
    form.set("csrf", csrfTokenFor(cookie));
    for (const [key, value] of Object.entries(fields)) form.set(key, value);
    if (file) form.set("file", new File([readFileSync(path.join(FIXTURES, file))], file, { type: "text/calendar" }));
    return route(
      new Request(`${ORIGIN}/admin/x/actions`, {
        method: "POST",
        headers: { host: "localhost", origin: ORIGIN, ...sessionHeader(cookie) },
        body: form,
      }),
    );
  };
  const flashOf = (res: Response, cookie: string): Flash | null =>
    openFlash(cookie, new RegExp(`^${FLASH_COOKIE}=([^;]*)`).exec(res.headers.get("set-cookie") ?? "")?.[1]);
  const done = (res: Response, cookie = admin.cookie) => {
    expect(res.status).toBe(303);
    const flash = flashOf(res, cookie)!;
    expect(flash, JSON.stringify(flash)).toMatchObject({ kind: "notice" });
    return flash.message;
  };
  const refused = (res: Response, cookie: string) => {
    expect(res.status).toBe(303);
    const flash = flashOf(res, cookie)!;
    expect(flash.kind).toBe("error");
    return flash.message;
  };
  const week = (mon: string, tue: string, wed: string, thu: string, fri: string) => ({
    mon,
    tue,
    wed,
    thu,
    fri,
    sat: "",
    sun: "",
  });

  beforeAll(async () => {
    const db = database.db;
    admin = await newSession(db, "admin");
    supervisor = await newSession(db, "supervisor");
    viewer = await newSession(db, "viewer");
    const partTime = await createTeam(db, `Part-time ${provider}`, { actor: "tests" });
    const office = await createTeam(db, `Office ${provider}`, { actor: "tests" });
    partTimeId = partTime.id;
    await setTeamMembers(db, partTime.id, ["Pat"], { actor: "tests" });
    await setTeamMembers(db, office.id, ["Ann", "Dan"], { actor: "tests" });
    // The supervisor leads the office: Ann and Dan, not Pat.
    await assignTeams(db, supervisor.accountId, [office.id], { actor: "tests" });
    // Ann works 8 h every weekday but the holiday, and 3 h on the DST Sunday; Pat 8 h on the 2nd, 5 h on the 16th.
    const ann: Record<string, number> = { "2026-03-29": 3 * H };
    for (let d = 1; d <= 31; d++) {
      const date = `2026-03-${String(d).padStart(2, "0")}`;
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      if (weekday >= 1 && weekday <= 5 && date !== "2026-03-06" && date < "2026-03-30") ann[date] = 8 * H;
    }
    await seedWork(db, "Ann", ann);
    await seedWork(db, "Pat", { "2026-03-02": 8 * H, "2026-03-16": 5 * H });
    await seedWork(db, "Dan", {});
  });

  it("lets an admin set schedules, add and import holidays from real calendar files, each audited", async () => {
    const cookie = admin.cookie;
    expect(
      done(
        await post(
          schedulesPost,
          { op: "set", scope: "default", effective_from: "2026-01-01", ...week("8", "8", "8", "8", "8") },
          cookie,
        ),
      ),
    ).toBe("Everyone works 40 h a week from 2026-01-01.");
    done(
      await post(
        schedulesPost,
        {
          op: "set",
          scope: "team",
          team: String(partTimeId),
          effective_from: "2026-03-16",
          ...week("4", "4:00", "4.0", "", ""),
        },
        cookie,
      ),
    );
    expect(
      refused(
        await post(
          schedulesPost,
          { op: "set", scope: "default", effective_from: "2026-03-01", ...week("25", "", "", "", "") },
          cookie,
        ),
        cookie,
      ),
    ).toMatch(/Monday must be hours from 0 to 24/);
    expect((await listSchedules(database.db)).map((row) => [row.scope, row.effectiveFrom, row.week[0] / H])).toEqual([
      ["default", "2026-01-01", 8],
      ["team", "2026-03-16", 4],
    ]);

    done(await post(holidaysPost, { op: "add", date: "2026-03-06", name: "Company day" }, cookie));
    done(await post(holidaysPost, { op: "add", date: "2026-03-07", name: "Saturday fair" }, cookie));
    expect(done(await post(holidaysPost, { op: "import" }, cookie, "national-holidays-de.ics"))).toMatch(
      /^Imported \d+ holidays from national-holidays-de\.ics/,
    );
    expect(done(await post(holidaysPost, { op: "import" }, cookie, "outlook-export.ics"))).toMatch(
      /Imported 4 holidays from outlook-export\.ics .*1 timed event left out/,
    );
    expect(refused(await post(holidaysPost, { op: "import" }, cookie, "malformed.ics"), cookie)).toMatch(
      /^The file is not an iCalendar \(\.ics\) file: invalid line/,
    );
    const holidays = new Map((await listHolidays(database.db, 2026)).map((h) => [h.date, h.name]));
    expect(holidays.get("2026-12-25")).toBe("Weihnachtstage");
    expect(holidays.get("2026-04-03")).toBe("Karfreitag");
    expect(holidays.get("2026-12-24")).toBe("Christmas Eve (office closed)");
    expect(holidays.has("2026-12-23")).toBe(false);

    const actions = (await listAudit(database.db, { pageSize: 20 })).entries
      .filter((e) => e.actor === admin.username)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["schedule.set", "holiday.add", "holiday.import"]));
  });

  it("lets a supervisor enter leave for their own team only, and refuses viewers", async () => {
    expect(
      done(
        await post(
          leavePost,
          { op: "add", employee: "ann", from: "2026-03-30", to: "2026-04-02", kind: "vacation" },
          supervisor.cookie,
        ),
        supervisor.cookie,
      ),
    ).toBe("Entered vacation leave for ann, 2026-03-30 to 2026-04-02.");
    expect(
      refused(
        await post(
          leavePost,
          { op: "add", employee: "Pat", from: "2026-03-02", to: "2026-03-02", kind: "sick" },
          supervisor.cookie,
        ),
        supervisor.cookie,
      ),
    ).toBe("You may enter leave only for employees of your own teams");
    expect(
      refused(
        await post(
          leavePost,
          { op: "add", employee: "Dan", from: "2026-03-05", to: "2026-03-04", kind: "sick" },
          supervisor.cookie,
        ),
        supervisor.cookie,
      ),
    ).toMatch(/to must not be before from/);
    const viewerTry = await post(
      leavePost,
      { op: "add", employee: "Dan", from: "2026-03-02", kind: "sick" },
      viewer.cookie,
    );
    expect(viewerTry.status).toBe(403);
    expect(await listLeave(database.db, {}, null)).toEqual([
      expect.objectContaining({
        userKey: "ann",
        start: "2026-03-30",
        end: "2026-04-02",
        kind: "vacation",
        createdBy: supervisor.username,
      }),
    ]);
    expect((await listAudit(database.db, { pageSize: 1 })).entries[0]).toMatchObject({
      action: "leave.add",
      actor: supervisor.username,
      target: "ann",
    });
    // Another team's leave is not the supervisor's to delete.
    const [pats] = [
      await post(leavePost, { op: "add", employee: "Pat", from: "2026-05-04", kind: "other" }, admin.cookie),
    ];
    done(pats);
    const patLeave = (await listLeave(database.db, { username: "Pat" }, null))[0];
    expect(
      refused(await post(leavePost, { op: "delete", id: String(patLeave.id) }, supervisor.cookie), supervisor.cookie),
    ).toBe("No such leave");
    done(await post(leavePost, { op: "delete", id: String(patLeave.id) }, admin.cookie));
  });

  it("gives the month's expected and balance figures worked by hand", async () => {
    const rows = await summarise(database.db, { period: "month", date: "2026-03-10" }, SETTINGS, NOW);
    const byName = Object.fromEntries(rows.map((row) => [row.username, row]));
    // Ann: 22 weekdays − the Friday holiday − Mon 30 and Tue 31 on leave = 19 × 8 h; the
    // Saturday holiday subtracts nothing. She worked 19 × 8 h on weekdays and 3 h on the DST Sunday.
    expect(byName.Ann).toMatchObject({ expected_seconds: 152 * H, working_seconds: 155 * H, balance_seconds: 3 * H });
    // Pat: 2–13 March on the default, less the holiday: 9 × 8 h; from the 16th the team's
    // Monday to Wednesday 4 h: 16–18, 23–25, 30–31 = 8 days × 4 h.
    expect(byName.Pat).toMatchObject({ expected_seconds: 72 * H + 32 * H, working_seconds: 13 * H });
    expect(byName.Pat.balance_seconds).toBe(13 * H - 104 * H);
    // Dan never worked: all undertime.
    expect(byName.Dan).toMatchObject({ expected_seconds: 21 * 8 * H, balance_seconds: -21 * 8 * H });
    // April carries the rest of Ann's leave: Wed 1 and Thu 2 April expect nothing.
    const april = await summarise(database.db, { period: "week", date: "2026-04-01", username: "ann" }, SETTINGS, NOW);
    // Week of 30 March: Mon–Thu on leave, Fri 3 April is Good Friday (imported): nothing expected.
    expect(april[0]).toMatchObject({ expected_seconds: 0 });
  });

  it("marks holidays and leave on the dashboard's days and sums the cells to the totals", async () => {
    const view = (await loadDashboardView(
      database.db,
      { view: "month", date: "2026-03-10" },
      SETTINGS,
      NOW,
    )) as PeriodView;
    const ann = view.employees.find((e) => e.username === "Ann")!;
    const day = (date: string) => ann.days[view.dates.indexOf(date)];
    expect(day("2026-03-06")).toMatchObject({ expected_seconds: 0, off: { holiday: "Company day" } });
    expect(day("2026-03-07")).toMatchObject({ expected_seconds: 0, off: { holiday: "Saturday fair" } });
    expect(day("2026-03-30")).toMatchObject({ expected_seconds: 0, off: { leave: "vacation" } });
    expect(day("2026-03-29")).toMatchObject({ working_seconds: 3 * H, expected_seconds: 0, balance_seconds: 3 * H });
    expect(ann.days.reduce((total, d) => total + d.expected_seconds, 0)).toBe(ann.expected_seconds);
    expect(view.totals.expected_seconds).toBe(view.employees.reduce((t, e) => t + e.expected_seconds, 0));
    // Sorting by balance, as the table's header asks the dashboard API, puts the most undertime first.
    const token = await newToken(database.db, "read");
    const sorted = async (url: string) => {
      const res = await getDashboardView(new Request(`${ORIGIN}${url}`, { headers: bearer(token) }), {
        params: Promise.resolve({ view: new URL(url, ORIGIN).pathname.split("/").pop()! }),
      } as never);
      return ((await okData(res)) as PeriodView).employees.map((e) => e.username);
    };
    expect(await sorted("/api/dashboard/month?date=2026-03-10&sort=balance&dir=asc")).toEqual(["Dan", "Pat", "Ann"]);
    expect(await sorted("/api/dashboard/month?date=2026-03-10&sort=expected&dir=desc")).toEqual(["Dan", "Ann", "Pat"]);
    // Today's table too. Whatever weekday today is, Ann and Dan (the default 8 h) owe at least
    // as much as Pat (part-time, Monday to Wednesday 4 h), and equal balances go by name.
    expect(await sorted("/api/dashboard/today?sort=balance&dir=asc")).toEqual(["Ann", "Dan", "Pat"]);
  });

  it("gives the read API's summary and timeline the same figures", async () => {
    const token = await newToken(database.db, "read");
    const call = (handler: (r: Request, c: never) => Promise<Response>, url: string, context: unknown = {}) =>
      handler(new Request(`${ORIGIN}${url}`, { headers: bearer(token) }), context as never);
    const summary = (await okData(
      await call(getSummary, "/api/reports/summary?period=day&date=2026-03-02&username=pat"),
    )) as Record<string, unknown>[];
    expect(summary[0]).toMatchObject({ working_seconds: 8 * H, expected_seconds: 8 * H, balance_seconds: 0 });
    const timeline = (await okData(
      await call(getTimeline, "/api/users/Pat/timeline?date=2026-03-16", {
        params: Promise.resolve({ username: "Pat" }),
      }),
    )) as Record<string, unknown>;
    expect(timeline).toMatchObject({ working_seconds: 5 * H, expected_seconds: 4 * H, balance_seconds: 1 * H });
  });

  it("exports expected and balance hours, as CSV and as an XLSX read back", async () => {
    const table = await loadExportTable(
      database.db,
      { period: "month", date: "2026-03-10", by: "day", username: "Dan" },
      SETTINGS,
      NOW,
    );
    const csv = toCsvFile(table)
      .csv.replace(/^\uFEFF/, "")
      .split("\r\n");
    expect(csv[0]).toMatch(/,expected_hours,balance_hours,day_off$/);
    // Dan's undertime days are there although he worked none of them (21 weekdays), and the two holidays.
    expect(csv.slice(1, -1)).toHaveLength(23);
    expect(csv).toContain("Dan,2026-03-07,0.00,0:00,0,,,0.00,0.00,holiday: Saturday fair");
    expect(csv[1]).toBe("Dan,2026-03-02,0.00,0:00,0,,,8.00,-8.00,");

    const monthly = await loadExportTable(
      database.db,
      { period: "month", date: "2026-03-10", by: "employee" },
      SETTINGS,
      NOW,
    );
    const sheet = await readXlsx(await new Response(toXlsxFile(monthly).body).arrayBuffer());
    expect(sheet.header.slice(-2)).toEqual(["expected_hours", "balance_hours"]);
    const row = (name: string) => sheet.rows.find((r) => r[0] === name)!;
    expect(row("Ann").slice(-2)).toEqual([152, 3]);
    expect(row("Pat").slice(-2)).toEqual([104, -91]);
    expect(sheet.formats.slice(-2)).toEqual(["0.00", "0.00"]);

    const byDay = await loadExportTable(
      database.db,
      { period: "month", date: "2026-03-10", by: "day", username: "Ann" },
      SETTINGS,
      NOW,
    );
    const annSheet = await readXlsx(await new Response(toXlsxFile(byDay).body).arrayBuffer());
    const annDay = (date: string) =>
      annSheet.rows.find((r) => r[1] instanceof Date && r[1].toISOString().startsWith(date));
    expect(annDay("2026-03-30")?.slice(-3)).toEqual([0, 0, "leave: vacation"]);
    expect(annDay("2026-03-29")?.slice(-3)).toEqual([0, 3, null]);
  });

  it("expands a yearly calendar only within the years asked for", () => {
    const text = readFileSync(path.join(FIXTURES, "national-holidays-de.ics"), "utf8");
    const { holidays } = parseHolidayCalendar(text, { from: "2027-01-01", to: "2027-12-31" });
    expect(holidays.map((h) => h.date)).toEqual(["2027-01-01", "2027-05-01", "2027-10-03", "2027-12-25", "2027-12-26"]);
    expect(() => parseHolidayCalendar("PK\u0003\u0004", { from: "2026-01-01", to: "2026-12-31" })).toThrow(
      "does not start with BEGIN:VCALENDAR",
    );
  });
});
