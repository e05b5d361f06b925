import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/db";
import { createRandom } from "@/lib/demo/generate";
import { findCurrentRun, listStreamStatuses, type StreamStatus } from "@/lib/devices/status";
import type { ParsedEvent } from "@/lib/ingest/schema";
import { EventStore } from "@/lib/ingest/store";
import { PROVIDERS, useMigratedDatabase } from "../helpers/databases";

// Live status reads each device stream's current run as ingest kept it (DESIGN §6). These
// cases deliver random streams the ways agents do — in order, in batches, late, twice, with
// group commits holding several submissions of one stream — and check after every round that
// every stream's status and `since` are what its events say.

const MIN = 60_000;
const GAP = 15 * MIN;
const T0 = Date.parse("2026-11-30T06:00:00.000Z");

type Delivery = "in order" | "late" | "reordered";
type Stream = { user: string; device: string; delivery: Delivery; events: ParsedEvent[] };

function makeStreams(seed: number, count: number): Stream[] {
  const random = createRandom(seed);
  const steps = [MIN, 5 * MIN, 5 * MIN, 14 * MIN, GAP, GAP + 1, 16 * MIN, 3 * 60 * MIN];
  const deliveries: Delivery[] = ["in order", "in order", "late", "reordered"];
  return Array.from({ length: count }, (_, n) => {
    const user = `user${n % Math.ceil(count / 2)}`;
    const device = n < count / 2 ? "" : `PC-${n}`;
    const events: ParsedEvent[] = [];
    let ts = T0 + Math.floor(random() * 30) * MIN;
    let state: ParsedEvent["state"] = random() < 0.7 ? "working" : "stopped";
    for (let i = 0; i < 40 + Math.floor(random() * 40); i++) {
      const event = { userKey: user, username: user, state, ts, deviceKey: device.toLowerCase(), device, agent: null };
      events.push(event);
      // Now and then both states at one instant, "stopped" the later (DESIGN §5.1).
      if (state === "working" && random() < 0.05) events.push({ ...event, state: "stopped" });
      if (random() < 0.25) state = state === "working" ? "stopped" : "working";
      ts += steps[Math.floor(random() * steps.length)];
    }
    return { user, device, delivery: deliveries[n % deliveries.length], events };
  });
}

/** What the stream's events say at `now`, worked out from them alone. */
function expectedStatus(events: ParsedEvent[], gapMs: number, now: number) {
  const newestFirst = [...events].sort((a, b) => b.ts - a.ts || (a.state === "stopped" ? -1 : 1));
  const run = findCurrentRun(newestFirst, gapMs)!;
  if (gapMs === 0 || now - run.latestTs <= gapMs) {
    const working = run.latestState === "working";
    return {
      status: working ? "working" : "idle",
      since: run.since,
      workedUntil: !working && run.afterOtherState ? run.since : null,
    };
  }
  return {
    status: "offline",
    since: run.latestTs + gapMs,
    workedUntil: run.latestState === "working" ? run.latestTs + gapMs : null,
  };
}

const actual = (s: StreamStatus) => ({ status: s.status, since: s.since, workedUntil: s.workedUntil });
const keyOf = (userKey: string, deviceKey: string) => `${userKey}/${deviceKey}`;

/**
 * Delivers every stream in rounds (each round's submissions concurrently, so that group commits
 * take several at once) and after each round compares every delivered stream's status, at its
 * own latest event and a gap later, under the store's gap and under another.
 */
async function deliverAndCheck(db: Db, streams: Stream[], storeGap: number, otherGap: number, seed: number) {
  const random = createRandom(seed);
  const store = new EventStore(db, storeGap);
  const delivered = new Map<string, ParsedEvent[]>();
  const plans = streams.map((stream) => {
    const events = [...stream.events];
    // A late stream holds a few events back to its last round; a reordered one sends its rounds backwards now and then.
    const held = stream.delivery === "late" ? events.splice(5 + Math.floor(random() * 20), 3) : [];
    const rounds: ParsedEvent[][] = [];
    for (let i = 0; i < events.length;) {
      const size = 1 + Math.floor(random() * 12);
      rounds.push(events.slice(i, (i += size)));
    }
    if (stream.delivery === "reordered" && rounds.length > 2) [rounds[1], rounds[2]] = [rounds[2], rounds[1]];
    rounds.push(held);
    return { stream, rounds };
  });
  const roundCount = Math.max(...plans.map((p) => p.rounds.length));
  let kept = 0;
  for (let r = 0; r < roundCount; r++) {
    const submissions: Promise<unknown>[] = [];
    for (const { stream, rounds } of plans) {
      const part = rounds[r];
      if (!part?.length) continue;
      const key = keyOf(stream.user, stream.device.toLowerCase());
      delivered.set(key, [...(delivered.get(key) ?? []), ...part]);
      // Sometimes in two submissions that the same group commit takes, and sometimes sent twice (a retry).
      const cut = random() < 0.3 ? Math.floor(part.length / 2) : part.length;
      submissions.push(store.store(part.slice(0, cut), T0), store.store(part.slice(cut), T0));
      if (random() < 0.1) submissions.push(store.store(part, T0));
    }
    await Promise.all(submissions);

    for (const gapMs of [storeGap, otherGap]) {
      const latest = Math.max(...[...delivered.values()].flat().map((e) => e.ts));
      for (const now of [latest, latest + gapMs + 1]) {
        const statuses = await listStreamStatuses(db, gapMs, now);
        for (const status of statuses) {
          const events = delivered.get(keyOf(status.userKey, status.deviceKey))!;
          expect(actual(status), `${status.userKey}/${status.device} round ${r}, gap ${gapMs}`).toEqual(
            expectedStatus(events, gapMs, now),
          );
        }
        expect(statuses.length).toBe(delivered.size);
      }
    }
    const rows = await db.raw.query<Record<string, unknown>>(
      "SELECT user_key, device_key FROM tracked_devices WHERE run_since IS NOT NULL",
    );
    kept = rows.length;
    // A stream whose events all came in order always has its run kept.
    const known = new Set(rows.map((row) => keyOf(String(row.user_key), String(row.device_key))));
    for (const { stream } of plans.filter((p) => p.stream.delivery === "in order")) {
      const key = keyOf(stream.user, stream.device.toLowerCase());
      if (delivered.has(key)) expect(known.has(key), `${key} round ${r}`).toBe(true);
    }
  }
  return kept;
}

describe.each(PROVIDERS)("device runs kept at ingest on %s", (provider) => {
  const database = useMigratedDatabase(provider);

  it("gives every stream the status its events say, however they arrive", async () => {
    const streams = makeStreams(7, 40);
    const kept = await deliverAndCheck(database.db, streams, GAP, 5 * MIN, 11);
    // Most streams end with their run known: the late and reordered ones regain it at their next change of run.
    expect(kept).toBeGreaterThan(streams.length / 2);
  });

  it("keeps runs that silence never ends when the gap is 0", async () => {
    await database.db.raw.execute("DELETE FROM tracked_devices");
    await database.db.raw.execute("DELETE FROM work_events");
    await deliverAndCheck(database.db, makeStreams(23, 20), 0, GAP, 29);
  });
});
