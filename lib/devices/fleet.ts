/*
 * The fleet: every device seen, with its users, agent version, first and last event, events
 * today, live status and the token it sends with (DESIGN §6 GET /api/devices, §11).
 */
import type { Db } from "../db/index.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";
import { addDays, localDateOf, localDateTimeOf, startOfLocalDay, type LocalDate } from "../time.ts";
import { combineStatuses, listStreamStatuses, type LiveStatus, type StreamStatus } from "./status.ts";
import { compareAgentVersions, newestVersion } from "./versions.ts";

type DeviceToken = { id: number; name: string; prefix: string; revoked: boolean };

export type DeviceRow = {
  /** The workstation's name as first sent; "" is an agent that names none (one such device per user). */
  device: string;
  /** Display names of the users seen on it (only those the reader may see). */
  users: string[];
  /** The agent version on its latest event; null for an agent that sends none (the original). */
  agent: string | null;
  first_event: string;
  last_event: string;
  /** Events with a time on today's local date. */
  events_today: number;
  /** Combined over its users' sessions, as a user's devices are. */
  status: LiveStatus;
  since: string;
  /** The token its latest request came with, or null when none was recorded. */
  token: DeviceToken | null;
};

type Visible = ReadonlySet<string> | null;
type FleetSettings = { timeZone: string; gapMs: number };

const iso = (ms: number) => new Date(ms).toISOString();

/** The streams' grouping: a named device is one row whoever used it; the unnamed device is one per user. */
const deviceGroupOf = (stream: { userKey: string; deviceKey: string }) =>
  stream.deviceKey === "" ? `\u0000${stream.userKey}` : stream.deviceKey;

/** Named devices by name, then the unnamed ones by user. */
function byDeviceGroup(a: string, b: string): number {
  const unnamed = Number(a.startsWith("\u0000")) - Number(b.startsWith("\u0000"));
  return unnamed || (a < b ? -1 : a > b ? 1 : 0);
}

async function displayNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.raw.query<{ user_key: string; display_name: string }>(
    `SELECT user_key, display_name FROM tracked_users`,
  );
  return new Map(rows.map((row) => [String(row.user_key), String(row.display_name)]));
}

async function tokensById(db: Db): Promise<Map<number, DeviceToken>> {
  const rows = await db.raw.query<Record<string, unknown>>(`SELECT id, name, prefix, revoked_at FROM api_tokens`);
  return new Map(
    rows.map((row) => [
      toNumber(row.id),
      { id: toNumber(row.id), name: String(row.name), prefix: String(row.prefix), revoked: row.revoked_at !== null },
    ]),
  );
}

/** Each stream's events on `date`, for the streams heard from since that day began. */
async function countEventsOn(
  db: Db,
  date: LocalDate,
  timeZone: string,
  visible: Visible,
): Promise<Map<string, number>> {
  const from = startOfLocalDay(date, timeZone);
  const to = startOfLocalDay(addDays(date, 1), timeZone);
  const d = dialectOf(db);
  // Counted per stream over the (user_key, ts, state, device_key) index: today's entries only.
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT t.user_key, t.device_key,
            (SELECT COUNT(*) FROM work_events e
             WHERE e.user_key = t.user_key AND e.ts >= ${d.at} AND e.ts < ${d.at} AND e.device_key = t.device_key) AS n
     FROM tracked_devices t WHERE t.last_event_at >= ${d.at}`,
    [from, to, from],
  );
  const counts = new Map<string, number>();
  for (const row of rows) {
    if (visible !== null && !visible.has(String(row.user_key))) continue;
    counts.set(`${row.user_key}\u0000${row.device_key}`, toNumber(row.n));
  }
  return counts;
}

/**
 * Every device the users in `visible` (everyone when null) used, at `now`, ordered by name
 * (unnamed devices last, by user). A reader limited to nobody sees no device.
 */
export async function listDevices(
  db: Db,
  settings: FleetSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<DeviceRow[]> {
  if (visible?.size === 0) return [];
  const today = localDateOf(now, settings.timeZone);
  const [streams, names, tokens, counts] = await Promise.all([
    listStreamStatuses(db, settings.gapMs, now, visible),
    displayNames(db),
    tokensById(db),
    countEventsOn(db, today, settings.timeZone, visible),
  ]);
  const groups = new Map<string, StreamStatus[]>();
  for (const stream of streams) {
    const key = deviceGroupOf(stream);
    const list = groups.get(key);
    if (list) list.push(stream);
    else groups.set(key, [stream]);
  }
  const rows = [...groups.entries()].map(([key, members]) => {
    const earliest = members.reduce((a, b) => (b.firstEvent < a.firstEvent ? b : a));
    const latest = members.reduce((a, b) => (b.lastSeen > a.lastSeen ? b : a));
    const combined = combineStatuses(members)!;
    const row: DeviceRow = {
      device: earliest.device,
      users: members
        .map((m) => names.get(m.userKey) ?? m.userKey)
        .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" })),
      agent: latest.agent,
      first_event: iso(earliest.firstEvent),
      last_event: iso(latest.lastSeen),
      events_today: members.reduce((sum, m) => sum + (counts.get(`${m.userKey}\u0000${m.deviceKey}`) ?? 0), 0),
      status: combined.status,
      since: iso(combined.since),
      token: latest.tokenId === null ? null : (tokens.get(latest.tokenId) ?? null),
    };
    return { key, row };
  });
  return rows.sort((a, b) => byDeviceGroup(a.key, b.key)).map(({ row }) => row);
}

/** A device as the token list names it: its name ("" unnamed) and who used it with that token. */
export type TokenDevice = { device: string; users: string[] };

/**
 * For each token, the devices whose latest request came with it: the ones that fall silent when
 * it is revoked (until their agents get another token).
 */
export async function listDevicesByToken(db: Db): Promise<Map<number, TokenDevice[]>> {
  const [rows, names] = await Promise.all([
    db.raw.query<Record<string, unknown>>(
      `SELECT token_id, user_key, device_key, display_name FROM tracked_devices WHERE token_id IS NOT NULL`,
    ),
    displayNames(db),
  ]);
  const byToken = new Map<number, Map<string, TokenDevice>>();
  for (const row of rows) {
    const tokenId = toNumber(row.token_id);
    const userKey = String(row.user_key);
    const devices = byToken.get(tokenId) ?? new Map<string, TokenDevice>();
    byToken.set(tokenId, devices);
    const key = deviceGroupOf({ userKey, deviceKey: String(row.device_key) });
    const device = devices.get(key) ?? { device: String(row.display_name), users: [] };
    devices.set(key, device);
    device.users.push(names.get(userKey) ?? userKey);
  }
  return new Map(
    [...byToken].map(([id, devices]) => [
      id,
      [...devices.entries()]
        .sort(([a], [b]) => byDeviceGroup(a, b))
        .map(([, device]) => ({ ...device, users: device.users.sort((a, b) => a.localeCompare(b)) })),
    ]),
  );
}

export type FleetDevice = DeviceRow & {
  /** The agent is older than the newest version seen in the fleet (no version counts as oldest). */
  agent_outdated: boolean;
};

export type FleetView = {
  timezone: string;
  today: LocalDate;
  generated_at: string;
  /** The newest agent version any device runs, or null. */
  newest_agent: string | null;
  devices: FleetDevice[];
};

/** What the fleet page shows: the devices, each flagged when its agent is behind the newest seen. */
export async function loadFleetView(
  db: Db,
  settings: FleetSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<FleetView> {
  const devices = await listDevices(db, settings, now, visible);
  const newest = newestVersion(devices.map((d) => d.agent));
  return {
    timezone: settings.timeZone,
    today: localDateOf(now, settings.timeZone),
    generated_at: iso(now),
    newest_agent: newest,
    devices: devices.map((d) => ({
      ...d,
      agent_outdated: newest !== null && compareAgentVersions(d.agent, newest) < 0,
    })),
  };
}

/** The fleet as a table for a file (the CSV and XLSX exports): local times, one row per device. */
// Shaped as lib/reports/export's ExportTable (a domain does not import another's types).
export function toFleetTable(view: FleetView): {
  name: string;
  sheet: string;
  header: string[];
  kinds: ("text" | "integer" | "datetime" | "yesno")[];
  rows: (string | number | null)[][];
} {
  const local = (instant: string) => localDateTimeOf(Date.parse(instant), view.timezone);
  return {
    name: `fleet-${view.today}`,
    sheet: "Fleet",
    header: [
      "device",
      "users",
      "agent",
      "agent_outdated",
      "status",
      "status_since",
      "first_event",
      "last_event",
      "events_today",
      "token",
      "token_revoked",
    ],
    kinds: ["text", "text", "text", "yesno", "text", "datetime", "datetime", "datetime", "integer", "text", "yesno"],
    rows: view.devices.map((d) => [
      d.device,
      d.users.join("; "),
      d.agent,
      d.agent_outdated ? "yes" : "no",
      d.status,
      local(d.since),
      local(d.first_event),
      local(d.last_event),
      d.events_today,
      d.token ? `${d.token.name} (${d.token.prefix}…)` : null,
      d.token ? (d.token.revoked ? "yes" : "no") : null,
    ]),
  };
}
