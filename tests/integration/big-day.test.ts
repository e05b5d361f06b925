import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getEmployee } from "@/app/api/dashboard/employees/[username]/route";
import { GET as getDashboardView } from "@/app/api/dashboard/[view]/route";
import { GET as getTimeline } from "@/app/api/users/[username]/timeline/route";
import { loadConfig, type Config } from "@/lib/config";
import { runHoursEngine } from "@/lib/hours/run";
import { EventStore } from "@/lib/ingest/store";
import type { EventState } from "@/lib/users";
import { toUserKey } from "@/lib/users";
import { useProcessTokens } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { okData, rejected } from "../helpers/envelope";

/*
 * A day stored far beyond any real one (a misbehaving agent): it must be answered in bounded
 * pages with its counts, never read whole. 2026-03-02 in Asia/Dubai starts at 2026-03-01T20:00Z.
 */
const TZ = "Asia/Dubai";
const DATE = "2026-03-02";
const DAY_START = Date.parse("2026-03-01T20:00:00Z");
const FLOODER = "CORP\\Flooder";
/** One-second periods, one every two seconds: as many periods as working events. */
const PERIODS = 12_000;
const TIES = "ties";
/** Ten seconds of work every 30 seconds, all day: 2,880 periods, drawn as one bar per minute. */
const ALL_DAY = "CORP\\AllDay";
const ALL_DAY_PERIODS = 2880;

type ConfigState = typeof globalThis & { __workTracingConfig?: Config };
type Page = {
  periods: { start: string; end: string }[];
  periods_total: number;
  device_periods: { device: string; start: string; end: string }[];
  events: { id: number; ts: string; state: EventState; device: string }[];
  events_total: number;
  events_by_state: Record<EventState, number>;
  limit: number;
  next_cursor: string | null;
  working_seconds: number;
};

describe.each(PROVIDERS)("a day of %s holding too many events", (provider) => {
  const database = useProcessDatabase(provider);
  const tokens = useProcessTokens(database);
  const configState = globalThis as ConfigState;
  let savedConfig: Config | undefined;
  let configDir: string;

  const useConfig = (env: Record<string, string>) => {
    configState.__workTracingConfig = loadConfig({ REPORT_TIMEZONE: TZ, ...env }, configDir);
  };

  beforeAll(async () => {
    savedConfig = configState.__workTracingConfig;
    configDir = mkdtempSync(path.join(os.tmpdir(), "wt-big-day-"));
    useConfig({});
    const store = new EventStore(database.db);
    const flood = Array.from({ length: PERIODS * 2 }, (_, i) => ({
      userKey: toUserKey(FLOODER),
      username: FLOODER,
      state: (i % 2 ? "stopped" : "working") as EventState,
      ts: DAY_START + 3_600_000 + Math.floor(i / 2) * 2000 + (i % 2) * 1000,
    }));
    for (let i = 0; i < flood.length; i += 5000) await store.store(flood.slice(i, i + 5000), DAY_START);
    // Both states at each instant on two devices: a page may end between any two of them.
    await store.store(
      [0, 1, 2].flatMap((k) =>
        (["stopped", "working"] as const).flatMap((state) =>
          [undefined, "PC-2"].map((device) => ({
            userKey: TIES,
            username: TIES,
            state,
            ts: DAY_START + 7_200_000 + k * 60_000,
            ...(device ? { device, deviceKey: device.toLowerCase() } : {}),
          })),
        ),
      ),
      DAY_START,
    );
    const allDay = Array.from({ length: ALL_DAY_PERIODS * 2 }, (_, i) => ({
      userKey: toUserKey(ALL_DAY),
      username: ALL_DAY,
      state: (i % 2 ? "stopped" : "working") as EventState,
      ts: DAY_START + Math.floor(i / 2) * 30_000 + 5_000 + (i % 2) * 10_000,
    }));
    await store.store(allDay, DAY_START);
    const result = await runHoursEngine({
      trigger: "test",
      db: database.db,
      rules: { gapMs: 15 * 60_000, blockMs: 40 * 60_000, timeZone: TZ },
    });
    expect(result.status).toBe("ok");
  }, 120_000);

  afterAll(() => {
    configState.__workTracingConfig = savedConfig;
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  const employee = (username: string) =>
    getEmployee(
      new Request(`http://localhost/api/dashboard/employees/${encodeURIComponent(username)}?date=${DATE}`, {
        headers: tokens.read,
      }),
      { params: Promise.resolve({ username }) },
    );

  const timeline = (username: string, query: string, headers = tokens.read) =>
    getTimeline(
      new Request(`http://localhost/api/users/${encodeURIComponent(username)}/timeline?date=${DATE}${query}`, {
        headers,
      }),
      { params: Promise.resolve({ username }) },
    );

  it("answers a bounded page with the day's counts and a cursor", async () => {
    const page = await okData<Page>(timeline(FLOODER, ""));
    expect(page.limit).toBe(5000);
    expect(page.events).toHaveLength(5000);
    expect(page.periods).toHaveLength(5000);
    expect(page).toMatchObject({
      events_total: PERIODS * 2,
      events_by_state: { working: PERIODS, stopped: PERIODS },
      periods_total: PERIODS,
      working_seconds: PERIODS,
    });
    expect(page.next_cursor).toEqual(expect.any(String));
  });

  it("walks the whole day page by page, in rule order, each event and period once", async () => {
    const events: Page["events"] = [];
    const periods: Page["periods"] = [];
    let cursor: unknown = "";
    let pages = 0;
    while (typeof cursor === "string" && pages < 10) {
      const page: Page = await okData<Page>(timeline(FLOODER, `&limit=4000&cursor=${cursor}`));
      expect(page.events.length).toBeLessThanOrEqual(4000);
      expect(page.periods.length).toBeLessThanOrEqual(4000);
      events.push(...page.events);
      periods.push(...page.periods);
      cursor = page.next_cursor;
      pages += 1;
    }
    expect([pages, cursor]).toEqual([6, null]);
    expect(events).toHaveLength(PERIODS * 2);
    expect(new Set(events.map((e) => e.id)).size).toBe(PERIODS * 2);
    expect(events.every((e, i) => e.state === (i % 2 ? "stopped" : "working"))).toBe(true);
    expect(events.every((e, i) => i === 0 || Date.parse(e.ts) > Date.parse(events[i - 1].ts))).toBe(true);
    expect(periods).toHaveLength(PERIODS);
    expect(periods.at(-1)).toEqual({
      start: new Date(DAY_START + 3_600_000 + (PERIODS - 1) * 2000).toISOString(),
      end: new Date(DAY_START + 3_600_000 + (PERIODS - 1) * 2000 + 1000).toISOString(),
    });
  });

  it("keeps working before stopped at one instant, device by device, when a page ends between them", async () => {
    const seen: [string, EventState, string][] = [];
    let cursor: unknown = "";
    for (let pages = 0; typeof cursor === "string" && pages < 20; pages++) {
      const page: Page = await okData<Page>(timeline(TIES, `&limit=1&cursor=${cursor}`));
      seen.push(...page.events.map((e): [string, EventState, string] => [e.ts, e.state, e.device]));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(
      [0, 1, 2].flatMap((k) => {
        const ts = new Date(DAY_START + 7_200_000 + k * 60_000).toISOString();
        return [
          [ts, "working", ""],
          [ts, "working", "PC-2"],
          [ts, "stopped", ""],
          [ts, "stopped", "PC-2"],
        ];
      }),
    );
  });

  it("keeps each page's JSON bounded however much the day holds", async () => {
    const response = await timeline(FLOODER, "");
    const bytes = (await response.clone().text()).length;
    const page = await okData<Page>(response);
    expect([page.events.length, page.periods.length, page.device_periods.length]).toEqual([5000, 5000, 5000]);
    // About 75 bytes an event, 65 a period and 80 a device period: a page is under 1.2 MB, the
    // day (24,000 events) never whole.
    expect(bytes).toBeLessThan(1.2 * 1024 * 1024);
  });

  it("refuses a limit out of bounds and a cursor it did not give", async () => {
    for (const limit of ["0", "5001", "all"]) await rejected(await timeline(FLOODER, `&limit=${limit}`), "limit");
    for (const cursor of ["nonsense", Buffer.from('{"e":[1,"idle"]}').toString("base64url"), "x".repeat(300)]) {
      await rejected(await timeline(FLOODER, `&cursor=${cursor}`), "cursor");
    }
  });

  it("gives the employee view with the day's counts and its periods drawn per minute", async () => {
    const view = await okData<{
      day: { periods: unknown[]; periods_total: number; periods_merged: boolean; events: number };
    }>(employee(FLOODER));
    expect(view.day).toMatchObject({ periods_total: PERIODS, periods_merged: true, events: PERIODS * 2 });
    // 12,000 periods two seconds apart span 400 minutes.
    expect(view.day.periods).toHaveLength(400);
  });

  it("keeps the employee view of a day worked in every minute small: 1,440 bars in a few bytes each", async () => {
    const response = await employee(ALL_DAY);
    const bytes = (await response.clone().text()).length;
    const view = await okData<{
      day: { periods: [number, number][]; periods_total: number; periods_merged: boolean; events: number };
    }>(response);
    expect(view.day).toMatchObject({
      periods_total: ALL_DAY_PERIODS,
      periods_merged: true,
      events: ALL_DAY_PERIODS * 2,
    });
    expect(view.day.periods).toHaveLength(1440);
    // Each minute's two periods (5–15 s and 35–45 s into it) drawn as one bar from the first start to the last end.
    expect(view.day.periods[0]).toEqual([5_000, 40_000]);
    expect(view.day.periods.at(-1)).toEqual([1439 * 60_000 + 5_000, 40_000]);
    // The month around it and the page's other figures come to a few kilobytes.
    expect(bytes).toBeLessThan(40 * 1024);
  });

  it("keeps the Day page's team timeline bounded: a busy day drawn per quarter hour, a quiet one exactly", async () => {
    const response = await getDashboardView(
      new Request(`http://localhost/api/dashboard/day?date=${DATE}&sort=name`, { headers: tokens.read }),
      { params: Promise.resolve({ view: "day" }) },
    );
    const bytes = (await response.clone().text()).length;
    const view = await okData<{
      employees: { username: string; periods: [number, number][]; periods_merged: boolean }[];
    }>(response);
    const rows = new Map(view.employees.map((row) => [row.username, row]));
    // 12,000 periods over 400 minutes from 21:00Z: 27 quarter hours, each from its first start to its last end.
    const flooder = rows.get(FLOODER)!;
    expect(flooder.periods_merged).toBe(true);
    expect(flooder.periods).toHaveLength(27);
    expect(flooder.periods[0]).toEqual([3_600_000, 899_000]);
    expect(flooder.periods.at(-1)).toEqual([3_600_000 + 390 * 60_000, 599_000]);
    // Two periods a minute all day: one bar per quarter hour, 96.
    const allDay = rows.get(ALL_DAY)!;
    expect(allDay.periods_merged).toBe(true);
    expect(allDay.periods).toHaveLength(96);
    expect(allDay.periods[0]).toEqual([5_000, 880_000]);
    // A handful of periods are drawn one by one, as the timeline gives them.
    const ties = rows.get(TIES)!;
    const timelineOfTies = await okData<Page>(timeline(TIES, ""));
    expect(ties.periods_merged).toBe(false);
    expect(ties.periods.map(([start, length]) => [start + DAY_START, start + length + DAY_START])).toEqual(
      timelineOfTies.periods.map((p) => [Date.parse(p.start), Date.parse(p.end)]),
    );
    expect(bytes).toBeLessThan(16 * 1024);
  });
});
