import { describe, expect, it } from "vitest";
import {
  DEFAULT_DEMO_TEAMS,
  generateDemo,
  makeUsernames,
  type DemoEvent,
  type DemoOptions,
  type DemoStatus,
} from "@/lib/demo/generate";
import { compareEvents } from "@/lib/hours/periods";
import { type HoursEvent } from "@/lib/users";
import { checkEvent, MAX_BATCH_EVENTS, MAX_FUTURE_MS } from "@/lib/ingest/schema";
import { findCurrentRun } from "@/lib/reports/users";
import { localDateOf, startOfLocalDay } from "@/lib/time";

/*
 * The demo generator is pure, so everything the dashboard will show can be checked here from
 * the events alone: validity, order, the statuses at `now` (DESIGN §6) and reproducibility.
 */

const MINUTE = 60_000;
const GAP = 15 * MINUTE;
const DUBAI = "Asia/Dubai";
/** Thursday 2026-03-05, 10:00 in Dubai. */
const NOW = Date.parse("2026-03-05T10:00:00+04:00");

function collect(options: DemoOptions): DemoEvent[] {
  const events: DemoEvent[] = [];
  for (const batch of generateDemo(options).batches()) events.push(...batch);
  return events;
}

function byUser(events: DemoEvent[]): Map<string, HoursEvent[]> {
  const users = new Map<string, HoursEvent[]>();
  events.forEach((event, id) => {
    const list = users.get(event.user) ?? [];
    list.push({ id, ts: Date.parse(event.ts), state: event.state });
    users.set(event.user, list);
  });
  return users;
}

/** The status GET /api/users reports at `now` for these events (DESIGN §6). */
function statusAt(events: HoursEvent[], now: number): { status: DemoStatus; age: number } {
  const newestFirst = [...events].sort(compareEvents).reverse();
  const run = findCurrentRun(newestFirst, GAP);
  if (!run || now - run.latestTs > GAP) return { status: "offline", age: run ? now - run.latestTs : Infinity };
  return { status: run.latestState === "working" ? "working" : "idle", age: now - run.latestTs };
}

describe("generateDemo", () => {
  const options: DemoOptions = { employees: 24, days: 30, now: NOW, timeZone: DUBAI };
  const events = collect(options);
  const users = byUser(events);

  it("is deterministic for a seed, and another seed gives other events", () => {
    const small = { employees: 6, days: 7, now: NOW, timeZone: DUBAI };
    expect(collect(small)).toEqual(collect(small));
    expect(collect({ ...small, seed: 7 })).toEqual(collect({ ...small, seed: 7 }));
    expect(collect({ ...small, seed: 7 })).not.toEqual(collect(small));
  });

  it("sends only events the ingest accepts, none after now", () => {
    expect(events.length).toBeGreaterThan(50_000);
    for (const event of events) {
      const check = checkEvent(event, NOW);
      if (!check.ok) throw new Error(`${JSON.stringify(event)}: ${JSON.stringify(check.details)}`);
      if (check.event.ts > NOW + MAX_FUTURE_MS) throw new Error(`${JSON.stringify(event)} is after now`);
    }
    expect(events.reduce((latest, e) => Math.max(latest, Date.parse(e.ts)), 0)).toBeLessThanOrEqual(NOW);
  });

  it("gives each employee their events in time order, each (user, ts, state) once", () => {
    expect([...users.keys()].sort()).toEqual(
      generateDemo(options)
        .employees.map((e) => e.username)
        .sort(),
    );
    for (const [user, list] of users) {
      for (let i = 1; i < list.length; i++) {
        if (
          compareEvents(list[i - 1], list[i]) >= 0 ||
          (list[i - 1].ts === list[i].ts && list[i - 1].state === list[i].state)
        ) {
          throw new Error(`${user}: event ${i} is out of order: ${JSON.stringify([list[i - 1], list[i]])}`);
        }
      }
    }
  });

  it("reports like the agent: a working heartbeat about every minute, stopped heartbeats every 5 minutes", () => {
    let longestWorking = 0;
    let longestStopped = 0;
    for (const list of users.values()) {
      for (let i = 1; i < list.length; i++) {
        const [previous, event] = [list[i - 1], list[i]];
        if (previous.state === "working" && event.state === "working")
          longestWorking = Math.max(longestWorking, event.ts - previous.ts);
        if (previous.state === "stopped" && event.state === "stopped")
          longestStopped = Math.max(longestStopped, event.ts - previous.ts);
      }
    }
    // Within a run of work, pauses stay under the idle threshold (5 minutes) plus a poll.
    expect(longestWorking).toBeLessThan(6 * MINUTE);
    // The stop (stamped at the last input) goes once idle reaches 5 minutes; heartbeats follow every 5.
    expect(longestStopped).toBeLessThan(12 * MINUTE);
    const working = events.filter((e) => e.state === "working").length;
    expect(working / events.length).toBeGreaterThan(0.9);
  });

  it("looks like a working month: busy weekdays, quiet weekends, no one working around the clock", () => {
    const perDate = new Map<string, Set<string>>();
    for (const event of events) {
      const date = localDateOf(Date.parse(event.ts), DUBAI);
      if (!perDate.has(date)) perDate.set(date, new Set());
      perDate.get(date)!.add(event.user);
    }
    // 2026-03-02 is a Monday, 2026-03-01 and 2026-02-28 a weekend.
    expect(perDate.get("2026-03-02")!.size).toBeGreaterThanOrEqual(18);
    expect(perDate.get("2026-03-01")?.size ?? 0).toBeLessThanOrEqual(6);
    expect(perDate.get("2026-02-28")?.size ?? 0).toBeLessThanOrEqual(6);
    // A working day starts in the morning and lasts hours, not all day.
    const monday = startOfLocalDay("2026-03-02", DUBAI);
    for (const list of users.values()) {
      const day = list.filter((e) => e.ts >= monday && e.ts < monday + 24 * 60 * MINUTE && e.state === "working");
      if (!day.length) continue;
      const firstHour = (day[0].ts - monday) / (60 * MINUTE);
      expect(firstHour).toBeGreaterThanOrEqual(6);
      expect(firstHour).toBeLessThanOrEqual(17);
    }
  });

  it("estimates its event count closely", () => {
    const estimate = generateDemo(options).estimateEvents();
    expect(Math.abs(estimate - events.length) / events.length).toBeLessThan(0.1);
  });

  it("cuts batches at the ingest's limit or the size asked for", () => {
    const sizes = [...generateDemo(options).batches()].map((batch) => batch.length);
    expect(Math.max(...sizes)).toBe(MAX_BATCH_EVENTS);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(events.length);
    const small = [...generateDemo({ ...options, days: 2, batchSize: 700 }).batches()].map((batch) => batch.length);
    expect(Math.max(...small)).toBe(700);
    expect(() => generateDemo({ batchSize: MAX_BATCH_EVENTS + 1 })).toThrow(/batchSize/);
    expect(() => generateDemo({ employees: 0 })).toThrow(/employees/);
    expect(() => generateDemo({ days: 1.5 })).toThrow(/days/);
  });

  it("a later run repeats every earlier day's events exactly, so a re-run adds only what is new", () => {
    const later = collect({ ...options, now: NOW + 5 * 60 * MINUTE });
    const today = startOfLocalDay(localDateOf(NOW, DUBAI), DUBAI);
    const key = (e: DemoEvent) => `${e.user}|${e.state}|${e.ts}`;
    const before = (list: DemoEvent[]) =>
      list
        .filter((e) => Date.parse(e.ts) < today - 2 * 60 * MINUTE)
        .map(key)
        .sort();
    expect(before(later)).toEqual(before(events));
  });
});

describe("statuses at now", () => {
  const cases: [string, string, string][] = [
    ["03:00 on a weekday", "2026-03-05T03:00:00+04:00", DUBAI],
    ["10:00 on a weekday", "2026-03-05T10:00:00+04:00", DUBAI],
    ["22:00 on a weekday", "2026-03-05T22:00:00+04:00", DUBAI],
    ["00:05, just after midnight", "2026-03-05T00:05:00+04:00", DUBAI],
    ["a Sunday afternoon", "2026-03-08T15:30:00+04:00", DUBAI],
    ["the morning clocks go forward in Berlin", "2026-03-29T09:00:00+02:00", "Europe/Berlin"],
  ];

  it.each(cases)("half working, a fifth idle, the rest offline at %s", (_label, iso, timeZone) => {
    const now = Date.parse(iso);
    const demo = generateDemo({ employees: 24, days: 3, now, timeZone });
    const users = byUser(collect({ employees: 24, days: 3, now, timeZone }));
    const counts: Record<DemoStatus, number> = { working: 0, idle: 0, offline: 0 };
    for (const employee of demo.employees) {
      const { status, age } = statusAt(users.get(employee.username) ?? [], now);
      expect(status, employee.username).toBe(employee.statusAtNow);
      counts[status]++;
      // Working: a heartbeat within the last poll or two. Idle: a stopped heartbeat within
      // the last 5 minutes and a poll. Offline: silent for longer than the timeout.
      if (status === "working") expect(age).toBeLessThanOrEqual(2 * MINUTE);
      if (status === "idle") expect(age).toBeLessThanOrEqual(6 * MINUTE);
      if (status === "offline") expect(age).toBeGreaterThan(GAP);
    }
    expect(counts).toEqual({ working: 12, idle: 5, offline: 7 });
  });

  it("keeps offline employees silent for longer than a configured timeout", () => {
    const now = Date.parse("2026-03-05T11:00:00+04:00");
    const demo = generateDemo({ employees: 12, days: 2, now, timeZone: DUBAI, heartbeatTimeoutMinutes: 40 });
    const users = byUser(collect({ employees: 12, days: 2, now, timeZone: DUBAI, heartbeatTimeoutMinutes: 40 }));
    for (const employee of demo.employees.filter((e) => e.statusAtNow === "offline")) {
      const list = users.get(employee.username) ?? [];
      expect(now - list.reduce((latest, e) => Math.max(latest, e.ts), 0)).toBeGreaterThan(40 * MINUTE);
    }
  });
});

describe("employees and teams", () => {
  it("names people like Windows logons, all different, even 2,000 of them", () => {
    const names = makeUsernames(2000);
    expect(new Set(names).size).toBe(2000);
    for (const name of names) expect(name).toMatch(/^[a-z]\.[a-z]+\d*$/);
    expect(names.slice(0, 3)).toEqual(["a.hassan", "j.smith", "m.garcia"]);
    const demo = generateDemo({ employees: 500, days: 1, now: NOW, timeZone: DUBAI });
    expect(new Set(demo.employees.map((e) => e.username.toLowerCase())).size).toBe(500);
  });

  it("spreads 24 people over four teams, one or two in two teams and one or two in none", () => {
    const demo = generateDemo({ employees: 24, now: NOW, timeZone: DUBAI });
    expect(demo.teams.map((t) => t.name)).toEqual(DEFAULT_DEMO_TEAMS);
    for (const team of demo.teams) expect(team.members.length).toBeGreaterThan(0);
    const inTwo = demo.employees.filter((e) => e.teams.length === 2).length;
    const inNone = demo.employees.filter((e) => e.teams.length === 0).length;
    expect(inTwo).toBeGreaterThanOrEqual(1);
    expect(inTwo).toBeLessThanOrEqual(2);
    expect(inNone).toBeGreaterThanOrEqual(1);
    expect(inNone).toBeLessThanOrEqual(2);
    expect(demo.employees.every((e) => e.teams.length <= 2)).toBe(true);
    for (const employee of demo.employees) {
      for (const name of employee.teams)
        expect(demo.teams.find((t) => t.name === name)!.members).toContain(employee.username);
    }
  });

  it("puts all but about 5% in a team, at any size", () => {
    for (const employees of [5, 7, 24, 100, 333, 500, 2000]) {
      const demo = generateDemo({ employees, days: 1, now: NOW });
      const few = Math.max(1, Math.round(employees * 0.05));
      expect(demo.employees.filter((e) => e.teams.length === 0)).toHaveLength(few);
      expect(demo.employees.filter((e) => e.teams.length === 2)).toHaveLength(few);
      expect(demo.teams.reduce((sum, t) => sum + t.members.length, 0)).toBe(employees);
    }
  });

  it("takes team names as given", () => {
    const demo = generateDemo({ employees: 10, days: 1, now: NOW, teams: ["Night shift", "Day shift"] });
    expect(demo.teams.map((t) => t.name)).toEqual(["Night shift", "Day shift"]);
    expect(demo.teams.every((t) => t.members.length > 0)).toBe(true);
  });
});
