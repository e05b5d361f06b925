import type { Db } from "../db/index.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";
import { combineStatuses, listStreamStatuses, type LiveStatus, type StreamStatus } from "../devices/status.ts";
import type { ReportSettings } from "./settings.ts";
import { byUserKey, type Visible } from "./visible.ts";

export type UserStatus = LiveStatus;
export { findCurrentRun } from "../devices/status.ts";

/** One of a user's devices, judged on its own. */
type UserDeviceRow = {
  /** The workstation's name as first sent; "" is the unnamed device (an agent that names none). */
  device: string;
  status: UserStatus;
  since: string;
  last_seen: string;
  /** The agent version on its latest event, or null. */
  agent: string | null;
};

export type UserRow = {
  username: string;
  status: UserStatus;
  /** When the current status began (ISO UTC). */
  since: string;
  /** The time of the user's latest event (ISO UTC). */
  last_seen: string;
  /** The user's devices, by name, each with its own status. */
  devices: UserDeviceRow[];
};

const iso = (ms: number) => new Date(ms).toISOString();

const toDeviceRow = (stream: StreamStatus): UserDeviceRow => ({
  device: stream.device,
  status: stream.status,
  since: iso(stream.since),
  last_seen: iso(stream.lastSeen),
  agent: stream.agent,
});

/** A user's combined status at `now`, instants in epoch ms, with the device streams it combines (by device key). */
export type UserStatusRow = {
  userKey: string;
  username: string;
  status: UserStatus;
  since: number;
  lastSeen: number;
  devices: StreamStatus[];
};

/**
 * Every tracked user's status at `now`, judged per device and combined: working if any device
 * is, else idle if any is, else offline, with `since`, when that began (DESIGN §6). Only the
 * users in `visible` when it is a set; by user key.
 */
export async function listUserStatuses(
  db: Db,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<UserStatusRow[]> {
  if (visible?.size === 0) return [];
  const { gapMs } = settings;
  const d = dialectOf(db);
  const [users, streams] = await Promise.all([
    db.raw.query<Record<string, unknown>>(
      `SELECT user_key, display_name, ${d.ms("last_event_at")} AS last_event_at
       FROM tracked_users${visible === null ? "" : ` WHERE ${d.inJsonList("user_key")}`}`,
      visible === null ? [] : [JSON.stringify([...visible])],
    ),
    listStreamStatuses(db, gapMs, now, visible),
  ]);
  const byUser = new Map<string, StreamStatus[]>();
  for (const stream of streams) {
    const list = byUser.get(stream.userKey);
    if (list) list.push(stream);
    else byUser.set(stream.userKey, [stream]);
  }
  const rows: UserStatusRow[] = [];
  for (const row of users) {
    const userKey = String(row.user_key);
    const devices = (byUser.get(userKey) ?? []).sort((a, b) =>
      a.deviceKey < b.deviceKey ? -1 : a.deviceKey > b.deviceKey ? 1 : 0,
    );
    const lastSeen = toNumber(row.last_event_at);
    // A user without a device stream (none can be made since devices exist) is judged by tracked_users alone.
    const combined = combineStatuses(devices) ?? { status: "offline" as const, since: lastSeen + gapMs, lastSeen };
    rows.push({ userKey, username: String(row.display_name), ...combined, devices });
  }
  return rows.sort(byUserKey);
}

/** `listUserStatuses` as the read API gives it: instants in ISO 8601, each device's own status beside. */
export async function listUsers(...query: Parameters<typeof listUserStatuses>): Promise<UserRow[]> {
  return (await listUserStatuses(...query)).map((user) => ({
    username: user.username,
    status: user.status,
    since: iso(user.since),
    last_seen: iso(user.lastSeen),
    devices: user.devices.map(toDeviceRow),
  }));
}
