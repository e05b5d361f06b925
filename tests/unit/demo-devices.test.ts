import { describe, expect, it } from "vitest";
import { DEMO_AGENT, generateDemo, type DemoEvent } from "@/lib/demo/generate";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Thursday 2026-03-05, 10:00 in Dubai. */
const NOW = Date.parse("2026-03-05T10:00:00+04:00");

/** Each device's events: who used it, with which agents, and its first and last event. */
function fleetOf(events: DemoEvent[]) {
  const devices = new Map<
    string,
    { users: Set<string>; agents: Set<string>; states: Set<string>; first: number; last: number }
  >();
  for (const e of events) {
    const ts = Date.parse(e.ts);
    const device = devices.get(e.device!) ?? {
      users: new Set(),
      agents: new Set(),
      states: new Set(),
      first: ts,
      last: ts,
    };
    device.users.add(e.user);
    device.agents.add(e.agent!);
    device.states.add(e.state);
    device.first = Math.min(device.first, ts);
    device.last = Math.max(device.last, ts);
    devices.set(e.device!, device);
  }
  return devices;
}

describe("the demo fleet", () => {
  const demo = generateDemo({ employees: 24, days: 30, now: NOW, timeZone: "Asia/Dubai" });
  const events = [...demo.batches()].flat();
  const fleet = fleetOf(events);

  it("names a device and an agent version on every event", () => {
    expect(events.every((e) => e.device && e.agent)).toBe(true);
  });

  it("gives some employees a laptop and a desktop, each used on some days", () => {
    const both = demo.employees.filter((e) =>
      ["LT-", "DT-"].every((kind) => [...fleet].some(([name, d]) => name.startsWith(kind) && d.users.has(e.username))),
    );
    expect(both.length).toBeGreaterThanOrEqual(5);
  });

  it("leaves one device on an older agent and one silent for more than a week", () => {
    const old = [...fleet].filter(([, d]) => !d.agents.has(DEMO_AGENT));
    expect(old).toHaveLength(1);
    const silent = [...fleet].filter(([, d]) => NOW - d.last > 7 * DAY);
    expect(silent.map(([name]) => name)).toHaveLength(1);
  });

  it("leaves only the retired laptop silent, whichever day the demo is made", () => {
    for (let day = 0; day < 7; day++) {
      const now = NOW + day * DAY + day * 37 * MINUTE;
      const other = generateDemo({ employees: 8, days: 21, now, timeZone: "Asia/Dubai" });
      const silent = [...fleetOf([...other.batches()].flat())].filter(([, d]) => now - d.last > 7 * DAY);
      expect(
        silent.map(([name]) => name),
        new Date(now).toISOString(),
      ).toEqual(["LT-1004"]);
    }
  });

  it("has one idle employee with an RDP session that only ever sends stopped heartbeats, up to now", () => {
    const rdp = fleet.get("RDS-01")!;
    expect([...rdp.users]).toHaveLength(1);
    const [user] = rdp.users;
    expect(demo.employees.find((e) => e.username === user)?.statusAtNow).toBe("idle");
    expect([...rdp.states]).toEqual(["stopped"]);
    expect(NOW - rdp.last).toBeLessThan(5 * MINUTE);
    // It was opened while its user worked elsewhere today.
    const ownWork = events.filter((e) => e.user === user && e.device !== "RDS-01" && e.state === "working");
    expect(ownWork.some((e) => Date.parse(e.ts) > rdp.first)).toBe(true);
  });

  it("keeps that RDP session reporting at any hour: after midnight, before work, on a Monday morning", () => {
    // Dubai times: the session stays open from the person's latest working day.
    for (const at of [
      "2026-03-05T00:05:00+04:00",
      "2026-03-05T06:30:00+04:00",
      "2026-03-05T23:55:00+04:00",
      "2026-03-07T12:00:00+04:00",
      "2026-03-09T00:01:00+04:00",
    ]) {
      const now = Date.parse(at);
      const other = generateDemo({ employees: 24, days: 30, now, timeZone: "Asia/Dubai" });
      const rdp = fleetOf([...other.batches()].flat()).get("RDS-01");
      expect(rdp, at).toBeDefined();
      expect([...rdp!.states], at).toEqual(["stopped"]);
      expect(now - rdp!.last, at).toBeLessThan(5 * MINUTE);
      expect(now - rdp!.last, at).toBeGreaterThanOrEqual(0);
    }
  });
});
