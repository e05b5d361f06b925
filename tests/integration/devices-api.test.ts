import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as getFleetView } from "@/app/api/dashboard/fleet/route";
import { GET as getDevicesCsv } from "@/app/api/devices/export.csv/route";
import { GET as getDevicesXlsx } from "@/app/api/devices/export.xlsx/route";
import { GET as getDevices } from "@/app/api/devices/route";
import { POST as report } from "@/app/api/report/route";
import { GET as getUsers } from "@/app/api/users/route";
import { assignTeams } from "@/lib/auth/accounts";
import { createTeam, setTeamMembers } from "@/lib/auth/teams";
import { createToken } from "@/lib/auth/tokens";
import { listDevicesByToken } from "@/lib/devices/fleet";
import { bearer, newSession, newToken, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { expectSameAsCsv, readXlsx } from "../helpers/xlsx";

// 16:00 in Dubai, the default report zone; the gap is the default 15 minutes.
const NOW = Date.parse("2026-06-01T12:00:00Z");
const at = (hhmm: string, day = "2026-06-01") => `${day}T${hhmm}:00Z`;
const cli = { actor: "tests" };

type Sent = { user: string; state: string; ts: string; device?: string; agent?: string };

/** Heartbeats every 5 minutes from `from` to `to` (inclusive), as an agent sends them. */
function beats(user: string, device: string | undefined, state: string, from: string, to: string, agent?: string) {
  const events: Sent[] = [];
  for (let t = Date.parse(at(from)); t <= Date.parse(at(to)); t += 5 * 60_000)
    events.push({
      user,
      state,
      ts: new Date(t).toISOString(),
      ...(device ? { device } : {}),
      ...(agent ? { agent } : {}),
    });
  return events;
}

describe.each(PROVIDERS)("devices in the read API on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const who: Record<string, Record<string, string>> = {};
  let tokenB = 0;

  beforeEach(() => void vi.useFakeTimers({ toFake: ["Date"], now: NOW }));
  afterEach(() => void vi.useRealTimers());

  async function send(events: Sent[], headers: Record<string, string>) {
    const res = await report(
      new Request("http://localhost/api/report", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      }),
      {},
    );
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  }

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: NOW });
    const db = database.db;
    const fleetA = bearer((await createToken(db, { name: "fleet-a", scope: "ingest", createdBy: "tests" })).token);
    const made = await createToken(db, { name: "fleet-b", scope: "ingest", createdBy: "tests" });
    tokenB = made.info.id;
    // Dana works on her laptop while her desktop sits idle, sending stopped heartbeats.
    await send(beats("CORP\\Dana", "DANA-DESKTOP", "stopped", "09:00", "11:55", "2.1.0"), fleetA);
    await send(beats("CORP\\Dana", "DANA-LAPTOP", "working", "10:00", "11:55", "2.1.0"), fleetA);
    // Erin worked in an RDP session, which has gone idle; her PC went silent this morning.
    await send(beats("erin", "ERIN-PC", "working", "08:00", "09:00", "2.0.0"), fleetA);
    await send(beats("erin", "RDP-HOST", "working", "10:00", "10:55", "2.1.0"), fleetA);
    await send(beats("erin", "RDP-HOST", "stopped", "11:00", "11:55", "2.1.0"), fleetA);
    // Finn's kiosk session has been idle all day; his laptop went offline while working.
    await send(beats("finn", "FINN-KIOSK", "stopped", "09:00", "11:55", "2.1.0"), fleetA);
    await send(beats("finn", "FINN-LAPTOP", "working", "10:00", "11:00", "2.1.0"), fleetA);
    // Gus runs the original agent: no device, no version; one event yesterday in Dubai.
    await send(
      [
        { user: "gus", state: "working", ts: at("19:00", "2026-05-31") },
        ...beats("gus", undefined, "working", "06:00", "07:00"),
      ],
      fleetA,
    );
    // A terminal server two people use, through different tokens.
    await send(beats("hana", "TS-01", "working", "11:30", "11:55", "2.1.0"), bearer(made.token));
    await send(beats("ivan", "ts-01", "stopped", "11:40", "11:50", "2.0.0"), fleetA);

    const team = await createTeam(db, `floor-${provider}`, cli);
    await setTeamMembers(db, team.id, ["CORP\\Dana", "hana"], cli);
    const limited = await newSession(db, "supervisor");
    await assignTeams(db, limited.accountId, [team.id], cli);
    const nobody = await newSession(db, "supervisor");
    who.limited = sessionHeader(limited.cookie);
    who.nobody = sessionHeader(nobody.cookie);
    who.read = bearer(await newToken(db, "read"));
    vi.useRealTimers();
  });

  async function get(route: typeof getUsers, url: string, headers: Record<string, string>) {
    const res = await route(new Request(`http://localhost${url}`, { headers }), {});
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body.data;
  }

  it("exports the fleet as XLSX with the CSV's rows, typed, limited to the reader's devices", async () => {
    for (const [headers, devices] of [
      [who.read, 8],
      [who.limited, 3],
    ] as const) {
      const call = (route: typeof getUsers, url: string) =>
        route(new Request(`http://localhost${url}`, { headers }), {});
      const xlsx = await call(getDevicesXlsx, "/api/devices/export.xlsx");
      expect(xlsx.status).toBe(200);
      expect(xlsx.headers.get("content-disposition")).toMatch(/^attachment; filename="fleet-\d{4}-\d{2}-\d{2}\.xlsx"$/);
      const sheet = await readXlsx(await xlsx.arrayBuffer());
      expect(sheet.names).toEqual(["Fleet"]);
      expect(sheet.headerBold).toBe(true);
      expect(sheet.frozenRows).toBe(1);
      expect(sheet.rows).toHaveLength(devices);
      const dana = sheet.rows.find((row) => row[0] === "DANA-LAPTOP")!;
      expect(dana[3]).toBe(false);
      expect(dana[5]).toBeInstanceOf(Date);
      expect(typeof dana[8]).toBe("number");
      expectSameAsCsv(sheet, await (await call(getDevicesCsv, "/api/devices/export.csv")).text());
    }
  });

  const iso = (hhmm: string) => new Date(at(hhmm)).toISOString();
  const device = (name: string, status: string, since: string, lastSeen: string, agent: string | null) => ({
    device: name,
    status,
    since: iso(since),
    last_seen: iso(lastSeen),
    agent,
  });

  it("judges each device on its own and combines them: working if any is, else idle, else offline", async () => {
    const users = await get(getUsers, "/api/users", who.read);
    const byName = Object.fromEntries(users.map((u: { username: string }) => [u.username, u]));
    // The idle desktop's stopped heartbeats do not make Dana idle.
    expect(byName["CORP\\Dana"]).toEqual({
      username: "CORP\\Dana",
      status: "working",
      since: iso("10:00"),
      last_seen: iso("11:55"),
      devices: [
        device("DANA-DESKTOP", "idle", "09:00", "11:55", "2.1.0"),
        device("DANA-LAPTOP", "working", "10:00", "11:55", "2.1.0"),
      ],
    });
    // Idle since the RDP session stopped working; the PC that went silent earlier changes nothing.
    expect(byName.erin).toMatchObject({ status: "idle", since: iso("11:00"), last_seen: iso("11:55") });
    expect(byName.erin.devices).toEqual([
      device("ERIN-PC", "offline", "09:15", "09:00", "2.0.0"),
      device("RDP-HOST", "idle", "11:00", "11:55", "2.1.0"),
    ]);
    // The kiosk was idle all day, but Finn counted as working until his laptop went offline.
    expect(byName.finn).toMatchObject({ status: "idle", since: iso("11:15"), last_seen: iso("11:55") });
    // The original agent: one unnamed device, judged exactly as before devices existed.
    expect(byName.gus).toEqual({
      username: "gus",
      status: "offline",
      since: iso("07:15"),
      last_seen: iso("07:00"),
      devices: [device("", "offline", "07:15", "07:00", null)],
    });
    expect(byName.hana.devices).toEqual([device("TS-01", "working", "11:30", "11:55", "2.1.0")]);
    expect(byName.ivan.devices).toEqual([device("ts-01", "idle", "11:40", "11:50", "2.0.0")]);
  });

  it("lists every device with its users, agent, first and last event, events today, status and token", async () => {
    const devices = await get(getDevices, "/api/devices", who.read);
    const summary = devices.map((d: Record<string, unknown>) => [
      d.device,
      d.users,
      d.agent,
      d.first_event,
      d.last_event,
      d.events_today,
      d.status,
      d.since,
      (d.token as { name: string } | null)?.name ?? null,
    ]);
    expect(summary).toEqual([
      ["DANA-DESKTOP", ["CORP\\Dana"], "2.1.0", iso("09:00"), iso("11:55"), 36, "idle", iso("09:00"), "fleet-a"],
      ["DANA-LAPTOP", ["CORP\\Dana"], "2.1.0", iso("10:00"), iso("11:55"), 24, "working", iso("10:00"), "fleet-a"],
      ["ERIN-PC", ["erin"], "2.0.0", iso("08:00"), iso("09:00"), 13, "offline", iso("09:15"), "fleet-a"],
      ["FINN-KIOSK", ["finn"], "2.1.0", iso("09:00"), iso("11:55"), 36, "idle", iso("09:00"), "fleet-a"],
      ["FINN-LAPTOP", ["finn"], "2.1.0", iso("10:00"), iso("11:00"), 13, "offline", iso("11:15"), "fleet-a"],
      ["RDP-HOST", ["erin"], "2.1.0", iso("10:00"), iso("11:55"), 24, "idle", iso("11:00"), "fleet-a"],
      // One device, whatever case each user's agent wrote its name in; its latest request came with fleet-b.
      ["TS-01", ["hana", "ivan"], "2.1.0", iso("11:30"), iso("11:55"), 9, "working", iso("11:30"), "fleet-b"],
      // The unnamed device is one per user; yesterday's event in Dubai is not today's.
      [
        "",
        ["gus"],
        null,
        new Date(at("19:00", "2026-05-31")).toISOString(),
        iso("07:00"),
        13,
        "offline",
        iso("07:15"),
        "fleet-a",
      ],
    ]);
    expect(devices[6].token).toEqual({
      id: tokenB,
      name: "fleet-b",
      prefix: expect.stringMatching(/^wt_ingest_/),
      revoked: false,
    });
  });

  it("shows a team-limited supervisor only the devices their employees used, and only those users", async () => {
    const devices = await get(getDevices, "/api/devices", who.limited);
    expect(
      devices.map((d: { device: string; users: string[]; status: string }) => [d.device, d.users, d.status]),
    ).toEqual([
      ["DANA-DESKTOP", ["CORP\\Dana"], "idle"],
      ["DANA-LAPTOP", ["CORP\\Dana"], "working"],
      ["TS-01", ["hana"], "working"],
    ]);
    expect(devices[2].events_today).toBe(6);
    // The fleet page's live refresh gives the same devices.
    const fleet = await get(getFleetView, "/api/dashboard/fleet", who.limited);
    expect(fleet.devices.map(({ agent_outdated: _, ...device }: Record<string, unknown>) => device)).toEqual(devices);
    // Fail closed: a supervisor without teams sees no device at all.
    expect(await get(getDevices, "/api/devices", who.nobody)).toEqual([]);
    expect((await get(getFleetView, "/api/dashboard/fleet", who.nobody)).devices).toEqual([]);
    expect(await get(getUsers, "/api/users", who.nobody)).toEqual([]);
  });

  it("names the devices whose latest request came with each token", async () => {
    const byToken = await listDevicesByToken(database.db);
    expect(byToken.get(tokenB)).toEqual([{ device: "TS-01", users: ["hana"] }]);
  });
});
