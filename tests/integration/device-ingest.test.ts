import { beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/report/route";
import { createToken } from "@/lib/auth/tokens";
import { bearer } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

const URL = "http://localhost/api/report";
const toMs = (value: unknown) => (value instanceof Date ? value.getTime() : Number(value));

describe.each(PROVIDERS)("devices in POST /api/report on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const tokens = { laptop: { id: 0, headers: {} as Record<string, string> }, desktop: { id: 0, headers: {} } };
  beforeAll(async () => {
    for (const name of ["laptop", "desktop"] as const) {
      const made = await createToken(database.db, { name: `fleet-${name}`, scope: "ingest", createdBy: "tests" });
      tokens[name] = { id: made.info.id, headers: bearer(made.token) };
    }
  });

  async function report(payload: unknown, headers: Record<string, string> = tokens.laptop.headers) {
    const res = await POST(
      new Request(URL, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify(payload),
      }),
      {},
    );
    return { status: res.status, body: await res.json() };
  }

  const events = async (userKey: string) =>
    (
      await database.db.raw.query<Record<string, unknown>>(
        `SELECT device_key, agent, token_id, state, ts FROM work_events WHERE user_key = ? ORDER BY ts, state, device_key`,
        [userKey],
      )
    ).map((row) => ({
      device: row.device_key,
      agent: row.agent,
      token: row.token_id === null ? null : Number(row.token_id),
      state: row.state,
      ts: toMs(row.ts),
    }));

  const devices = async (userKey: string) =>
    (
      await database.db.raw.query<Record<string, unknown>>(
        `SELECT device_key, display_name, first_event_at, last_event_at, last_state, agent, token_id
         FROM tracked_devices WHERE user_key = ? ORDER BY device_key`,
        [userKey],
      )
    ).map((row) => ({
      key: row.device_key,
      name: row.display_name,
      first: toMs(row.first_event_at),
      last: toMs(row.last_event_at),
      state: row.last_state,
      agent: row.agent,
      token: row.token_id === null ? null : Number(row.token_id),
    }));

  it("refuses a bad device or agent with a 400 naming the field", async () => {
    const ts = "2026-03-02T05:00:00Z";
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ device: "x".repeat(65) }, "device", /at most 64/],
      [{ device: "PC\u0007" }, "device", /control characters \(found U\+0007\)/],
      [{ device: "PC\u200b1" }, "device", /invisible or direction-changing characters \(found U\+200B\)/],
      [{ device: 42 }, "device", /device must be a string/],
      [{ agent: "1".repeat(33) }, "agent", /at most 32/],
      [{ agent: ["2.0"] }, "agent", /agent must be a string/],
      [{ agent: "2.0\n" + "x" }, "agent", /control characters/],
    ];
    for (const [extra, field, message] of cases) {
      const { status, body } = await report({ user: "refused", state: "working", ts, ...extra });
      expect(status, JSON.stringify(extra)).toBe(400);
      expect(body.success).toBe(false);
      expect(body.error.details).toEqual([expect.objectContaining({ field, message: expect.stringMatching(message) })]);
    }
    // In a batch the bad event is listed by its index and the good one is stored.
    const batch = await report({
      events: [
        { user: "refused", state: "working", ts, device: "OK-PC" },
        { user: "refused", state: "working", ts, device: "y".repeat(65) },
      ],
    });
    expect(batch.status).toBe(201);
    expect(batch.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ index: 1 }] });
    expect(batch.body.rejected[0].error.details[0].field).toBe("device");
    expect((await events("refused")).map((e) => e.device)).toEqual(["ok-pc"]);
  });

  it("accepts a 64-character device, a 32-character agent and empty or null ones", async () => {
    const base = { user: "limits", state: "working" };
    expect(
      (await report({ ...base, ts: "2026-03-02T05:00:00Z", device: "D".repeat(64), agent: "v".repeat(32) })).status,
    ).toBe(201);
    expect((await report({ ...base, ts: "2026-03-02T05:01:00Z", device: "", agent: "" })).status).toBe(201);
    expect((await report({ ...base, ts: "2026-03-02T05:02:00Z", device: null, agent: null })).status).toBe(201);
    expect((await events("limits")).map((e) => [e.device, e.agent])).toEqual([
      ["d".repeat(64), "v".repeat(32)],
      ["", null],
      ["", null],
    ]);
  });

  it("is idempotent on (user, device, ts, state): the same instant on two devices is two events", async () => {
    const ts = "2026-03-02T06:00:00Z";
    const at = Date.parse(ts);
    const first = await report({
      events: [
        { user: "CORP\\Dana", state: "working", ts, device: "LAPTOP-1", agent: "2.1.0" },
        { user: "CORP\\Dana", state: "working", ts, device: "DESKTOP-7", agent: "2.1.0" },
        { user: "CORP\\Dana", state: "working", ts },
      ],
    });
    expect(first.body).toMatchObject({ accepted: 3, duplicates: 0, rejected: [] });
    // Device names differ only in case, and a missing device is the same as "": duplicates.
    const again = await report({
      events: [
        { user: "corp\\dana", state: "working", ts, device: "laptop-1" },
        { user: "CORP\\DANA", state: "working", ts, device: "Desktop-7" },
        { user: "CORP\\Dana", state: "working", ts, device: "" },
        { user: "CORP\\Dana", state: "working", ts, device: "  LAPTOP-1  " },
      ],
    });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 4 });
    const single = await report({ user: "CORP\\Dana", state: "working", ts, device: "LAPTOP-1" });
    expect(single).toEqual({ status: 201, body: { success: true, duplicate: true } });
    expect(await events("corp\\dana")).toEqual([
      { device: "", agent: null, token: tokens.laptop.id, state: "working", ts: at },
      { device: "desktop-7", agent: "2.1.0", token: tokens.laptop.id, state: "working", ts: at },
      { device: "laptop-1", agent: "2.1.0", token: tokens.laptop.id, state: "working", ts: at },
    ]);
  });

  it("records the token of each event and keeps each device's latest state, agent and token", async () => {
    const t = (minute: number) => `2026-03-02T07:${String(minute).padStart(2, "0")}:00Z`;
    await report({ user: "erin", state: "working", ts: t(10), device: "Erin-PC", agent: "2.0.0" });
    await report(
      { user: "erin", state: "working", ts: t(20), device: "ERIN-PC", agent: "2.1.0" },
      tokens.desktop.headers,
    );
    // A late event from the spool: older than what is stored, it moves neither state nor agent.
    await report(
      { user: "erin", state: "stopped", ts: t(5), device: "erin-pc", agent: "1.9.0" },
      tokens.desktop.headers,
    );
    await report({ user: "erin", state: "stopped", ts: t(30), device: "RDP-HOST" });

    expect((await events("erin")).map((e) => [e.ts, e.device, e.token])).toEqual([
      [Date.parse(t(5)), "erin-pc", tokens.desktop.id],
      [Date.parse(t(10)), "erin-pc", tokens.laptop.id],
      [Date.parse(t(20)), "erin-pc", tokens.desktop.id],
      [Date.parse(t(30)), "rdp-host", tokens.laptop.id],
    ]);
    expect(await devices("erin")).toEqual([
      {
        key: "erin-pc",
        name: "Erin-PC",
        first: Date.parse(t(5)),
        last: Date.parse(t(20)),
        state: "working",
        agent: "2.1.0",
        token: tokens.desktop.id,
      },
      {
        key: "rdp-host",
        name: "RDP-HOST",
        first: Date.parse(t(30)),
        last: Date.parse(t(30)),
        state: "stopped",
        agent: null,
        token: tokens.laptop.id,
      },
    ]);
  });

  it("keeps the original agent's events, without device or agent, working as before", async () => {
    const ts = "2026-03-02T08:00:00Z";
    expect(await report({ user: "CORP\\old", state: "working", ts })).toEqual({ status: 201, body: { success: true } });
    expect(await report({ user: "CORP\\old", state: "working", ts })).toEqual({
      status: 201,
      body: { success: true, duplicate: true },
    });
    expect(await devices("corp\\old")).toEqual([
      {
        key: "",
        name: "",
        first: Date.parse(ts),
        last: Date.parse(ts),
        state: "working",
        agent: null,
        token: tokens.laptop.id,
      },
    ]);
  });
});
