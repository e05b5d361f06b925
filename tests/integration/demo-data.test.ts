import { describe, expect, it } from "vitest";
import { listTeams } from "@/lib/auth/teams";
import { getConfig } from "@/lib/config";
import { fillDemoData, type FillResult } from "@/lib/demo/fill";
import { generateDemo } from "@/lib/demo/generate";
import { toUserKey } from "@/lib/users";
import { listUsers } from "@/lib/reports/users";
import { localDateOf } from "@/lib/time";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

/*
 * The demo filler end to end on each database: teams through the admin functions, events
 * through the ingest path POST /api/report uses, hours by the engine, and what the dashboard
 * then reads. Small (8 people, a week) so it runs in seconds.
 */

const OPTIONS = { employees: 8, days: 7, seed: 11 };
/** Wednesday 2026-03-04, 11:30 in the default REPORT_TIMEZONE (Asia/Dubai). */
const NOW = Date.parse("2026-03-04T11:30:00+04:00");

describe.each(PROVIDERS)("demo data on %s", (provider) => {
  const database = useProcessDatabase(provider);
  let first: FillResult;

  it("fills teams, events and hours through the production paths", { timeout: 120_000 }, async () => {
    const progress: number[] = [];
    first = await fillDemoData(database.db, { ...OPTIONS, now: NOW, onProgress: (p) => progress.push(p.events) });
    const demo = generateDemo({ ...OPTIONS, now: NOW, timeZone: getConfig().reportTimezone });

    expect(first.employees).toBe(8);
    expect(first.accepted).toBeGreaterThan(10_000);
    expect(first.duplicates).toBe(0);
    expect(progress.at(-1)).toBe(first.accepted);
    expect(first.engine).toMatchObject({ status: "ok", users: 8, events: first.accepted });

    const teams = await listTeams(database.db);
    expect(teams.map((t) => t.name).sort()).toEqual(demo.teams.map((t) => t.name).sort());
    for (const team of demo.teams) {
      const stored = teams.find((t) => t.name === team.name)!;
      expect(stored.userKeys).toEqual(team.members.map(toUserKey).sort());
      expect(stored.userKeys.length).toBeGreaterThan(0);
    }
    expect(first.teams.every((t) => t.created)).toBe(true);
  });

  it("shows Real Work Hours for the weekdays", async () => {
    const rows = await database.db.raw.query<Record<string, unknown>>(
      `SELECT work_date, SUM(working_seconds) AS seconds, SUM(real_hours_counted) AS hours, COUNT(*) AS people
       FROM user_real_work_summary GROUP BY work_date ORDER BY work_date`,
    );
    const byDate = new Map(
      rows.map((row) => [
        String(row.work_date),
        { seconds: Number(row.seconds), hours: Number(row.hours), people: Number(row.people) },
      ]),
    );
    // Thu 02-26 … Wed 03-04; Sat 02-28 and Sun 03-01 are the weekend.
    for (const date of ["2026-02-26", "2026-02-27", "2026-03-02", "2026-03-03"]) {
      const day = byDate.get(date);
      expect(day, date).toBeDefined();
      expect(day!.people).toBeGreaterThanOrEqual(5);
      expect(day!.seconds / day!.people).toBeGreaterThan(3 * 3600);
      expect(day!.hours).toBeGreaterThan(0);
    }
    const weekend = (byDate.get("2026-02-28")?.people ?? 0) + (byDate.get("2026-03-01")?.people ?? 0);
    expect(weekend).toBeLessThanOrEqual(4);
    expect(byDate.get(localDateOf(NOW, "Asia/Dubai"))!.seconds).toBeGreaterThan(0);
  });

  it("has people working, idle and offline at now", async () => {
    const users = await listUsers(database.db, getConfig().rules, NOW);
    const expected = new Map(generateDemo({ ...OPTIONS, now: NOW }).employees.map((e) => [e.username, e.statusAtNow]));
    expect(users).toHaveLength(8);
    for (const user of users) expect(user.status, user.username).toBe(expected.get(user.username));
    expect(first.statuses).toEqual({ working: 4, idle: 2, offline: 2 });
  });

  it("can run again: teams are reused and no event is stored twice", { timeout: 120_000 }, async () => {
    const again = await fillDemoData(database.db, { ...OPTIONS, now: NOW });
    expect(again.accepted).toBe(0);
    expect(again.duplicates).toBe(first.accepted);
    expect(again.teams.every((t) => !t.created)).toBe(true);
    expect(await listTeams(database.db)).toHaveLength(4);
    const [{ n }] = await database.db.raw.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM work_events");
    expect(Number(n)).toBe(first.accepted);

    // A minute later only that minute's events are new.
    const later = await fillDemoData(database.db, { ...OPTIONS, now: NOW + 60_000 });
    expect(later.accepted).toBeGreaterThan(0);
    expect(later.accepted).toBeLessThan(30);
  });

  it("writes the teams' audit entries as demo-data", async () => {
    const rows = await database.db.raw.query<Record<string, unknown>>(`SELECT DISTINCT actor FROM audit_log`);
    expect(rows.map((row) => row.actor)).toEqual(["demo-data"]);
  });

  it("refuses a database other than the process's, which the ingest would not write to", async () => {
    const other = { ...database.db };
    await expect(fillDemoData(other, OPTIONS)).rejects.toThrow(/process's database/);
  });
});
