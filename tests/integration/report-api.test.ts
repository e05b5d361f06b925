import { beforeAll, describe, expect, it } from "vitest";
import { GET as unknownApi, POST as unknownApiPost } from "@/app/api/[[...path]]/route";
import { GET, POST } from "@/app/api/report/route";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "@/lib/ingest/schema";
import { useProcessTokens } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

const URL = "http://localhost/api/report";

type Body = Record<string, unknown>;

/** The ingest token of the provider's block being run (set in its beforeAll). */
let credentials: Record<string, string> = {};

function send(body: string, contentType: string | null = "application/json"): Promise<Response> {
  const headers: Record<string, string> =
    contentType === null ? { ...credentials } : { ...credentials, "content-type": contentType };
  return POST(new Request(URL, { method: "POST", headers, body }), {});
}

const report = (payload: unknown) => send(JSON.stringify(payload));

async function created(res: Response): Promise<Body> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

/** Checks the one error envelope every API error uses, and returns its error. */
async function failed(
  res: Response,
  status: number,
  code?: string,
): Promise<{ code: string; message: string; details?: Body[] }> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(Object.keys(body).sort()).toEqual(["error", "success"]);
  expect(body.success).toBe(false);
  const { error } = body;
  expect(typeof error.code).toBe("string");
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(error)) expect(["code", "message", "details"]).toContain(key);
  if (error.details !== undefined) {
    expect(Array.isArray(error.details)).toBe(true);
    for (const detail of error.details) expect(typeof detail.message).toBe("string");
  }
  if (code) expect(error.code).toBe(code);
  return error;
}

const toMs = (value: unknown) => (value instanceof Date ? value.getTime() : Number(value));

describe.each(PROVIDERS)("POST /api/report on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const tokens = useProcessTokens(database);
  beforeAll(() => {
    credentials = tokens.ingest;
  });

  async function storedEvents(userKey: string) {
    const rows = await database.db.raw.query<{ user_key: string; username: string; state: string; ts: unknown }>(
      `SELECT user_key, username, state, ts FROM work_events WHERE user_key = ? ORDER BY ts, state`,
      [userKey],
    );
    return rows.map((row) => ({ userKey: row.user_key, username: row.username, state: row.state, ts: toMs(row.ts) }));
  }

  async function trackedUser(userKey: string) {
    const rows = await database.db.raw.query<{ display_name: string; last_state: string; last_event_at: unknown }>(
      `SELECT display_name, last_state, last_event_at FROM tracked_users WHERE user_key = ?`,
      [userKey],
    );
    return rows.map((row) => ({
      displayName: row.display_name,
      lastState: row.last_state,
      lastEventAt: toMs(row.last_event_at),
    }));
  }

  const countAll = async () =>
    Number((await database.db.raw.query<{ n: unknown }>(`SELECT count(*) AS n FROM work_events`))[0].n);

  describe("one event", () => {
    it("answers 201 {success: true} and stores it", async () => {
      const event = { user: "CORP\\single", state: "working", ts: "2026-03-02T05:20:30.000Z" };
      expect(await created(await report(event))).toEqual({ success: true });
      expect(await storedEvents("corp\\single")).toEqual([
        { userKey: "corp\\single", username: "CORP\\single", state: "working", ts: Date.parse(event.ts) },
      ]);
    });

    it("answers a resent event as a duplicate and stores it only once", async () => {
      const event = { user: "CORP\\resend", state: "stopped", ts: "2026-03-02T06:00:00.250Z" };
      expect(await created(await report(event))).toEqual({ success: true });
      expect(await created(await report(event))).toEqual({ success: true, duplicate: true });
      expect(await created(await report({ ...event, user: "corp\\RESEND" }))).toEqual({
        success: true,
        duplicate: true,
      });
      expect(await storedEvents("corp\\resend")).toHaveLength(1);
    });

    it("stores an event sent many times at once exactly once", async () => {
      const event = { user: "CORP\\concurrent", state: "working", ts: "2026-03-02T05:45:00.001Z" };
      const bodies = await Promise.all(Array.from({ length: 20 }, () => report(event).then(created)));
      expect(bodies.filter((b) => b.duplicate === undefined)).toEqual([{ success: true }]);
      expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(19);
      expect(await storedEvents("corp\\concurrent")).toHaveLength(1);
    });

    it("does not count the same user and time with the other state as a duplicate", async () => {
      const ts = "2026-03-02T07:00:00.000Z";
      expect(await created(await report({ user: "both-states", state: "working", ts }))).toEqual({ success: true });
      expect(await created(await report({ user: "both-states", state: "stopped", ts }))).toEqual({ success: true });
      expect((await storedEvents("both-states")).map((e) => e.state)).toEqual(["stopped", "working"]);
    });

    it("stamps an event without ts with the receive time", async () => {
      const before = Date.now();
      await created(await report({ user: "no-ts", state: "working" }));
      await created(await report({ user: "null-ts", state: "working", ts: null }));
      const after = Date.now();
      for (const key of ["no-ts", "null-ts"]) {
        const [event] = await storedEvents(key);
        expect(event.ts).toBeGreaterThanOrEqual(before);
        expect(event.ts).toBeLessThanOrEqual(after);
      }
    });

    it("refuses an invalid event with 400 naming each bad field, and stores nothing", async () => {
      const error = await failed(
        await report({ user: "  ", state: "idle", ts: "2026-03-02T05:20:30" }),
        400,
        "invalid_event",
      );
      expect(error.details!.map((d) => d.field).sort()).toEqual(["state", "ts", "user"]);
      const future = await failed(
        await report({ user: "future", state: "working", ts: new Date(Date.now() + 3_600_000).toISOString() }),
        400,
      );
      expect(future.details).toEqual([{ field: "ts", message: expect.stringContaining("future") }]);
      await failed(await report({ user: "ancient", state: "working", ts: "1999-12-31T23:59:59Z" }), 400);
      expect(await storedEvents("future")).toEqual([]);
      expect(await storedEvents("ancient")).toEqual([]);
    });
  });

  describe("times", () => {
    it.each([
      ["Z", "2026-03-02T05:20:30.123Z", "2026-03-02T05:20:30.123Z"],
      ["+04:00", "2026-03-02T09:20:30.123+04:00", "2026-03-02T05:20:30.123Z"],
      ["-0530", "2026-03-01T23:50:30.123-0530", "2026-03-02T05:20:30.123Z"],
      ["seven fraction digits", "2026-03-02T05:20:30.1234567Z", "2026-03-02T05:20:30.123Z"],
      ["seven fraction digits with an offset", "2026-03-02T09:20:30.9999999+04:00", "2026-03-02T05:20:30.999Z"],
    ])("stores ts written with %s as the right UTC instant to the millisecond", async (label, ts, utc) => {
      const user = `tz ${label}`;
      await created(await report({ user, state: "working", ts }));
      expect((await storedEvents(user.toLowerCase())).map((e) => new Date(e.ts).toISOString())).toEqual([utc]);
    });

    it("treats the same instant written in two zones as one event", async () => {
      await created(await report({ user: "same-instant", state: "working", ts: "2026-03-02T05:20:30.500Z" }));
      expect(
        await created(await report({ user: "same-instant", state: "working", ts: "2026-03-02T09:20:30.500+04:00" })),
      ).toEqual({
        success: true,
        duplicate: true,
      });
    });
  });

  describe("batches", () => {
    const events = (user: string, n: number, state = "working") =>
      Array.from({ length: n }, (_, i) => ({ user, state, ts: new Date(Date.UTC(2026, 2, 2, 8, 0, i)).toISOString() }));

    it("accepts {events: [...]}", async () => {
      expect(await created(await report({ events: events("batch-object", 3) }))).toEqual({
        success: true,
        accepted: 3,
        duplicates: 0,
        rejected: [],
      });
      expect(await storedEvents("batch-object")).toHaveLength(3);
    });

    it("accepts a bare array", async () => {
      expect(await created(await report(events("batch-array", 2)))).toEqual({
        success: true,
        accepted: 2,
        duplicates: 0,
        rejected: [],
      });
      expect(await storedEvents("batch-array")).toHaveLength(2);
    });

    it("judges each event on its own: accepted, duplicates and rejected with index and details", async () => {
      const [first, second, third] = events("batch-mixed", 3);
      await created(await report(first));
      const body = await created(
        await report({
          events: [first, { ...second, state: "idle" }, second, { user: "", state: "working" }, third, 42],
        }),
      );
      expect(body).toEqual({
        success: true,
        accepted: 2,
        duplicates: 1,
        rejected: [
          {
            index: 1,
            error: {
              code: "invalid_event",
              message: expect.any(String),
              details: [{ field: "state", message: expect.any(String) }],
            },
          },
          {
            index: 3,
            error: {
              code: "invalid_event",
              message: expect.any(String),
              details: [{ field: "user", message: expect.any(String) }],
            },
          },
          {
            index: 5,
            error: { code: "invalid_event", message: expect.any(String), details: [{ message: expect.any(String) }] },
          },
        ],
      });
      expect((await storedEvents("batch-mixed")).map((e) => e.state)).toEqual(["working", "working", "working"]);
    });

    it("counts an event repeated within one batch once", async () => {
      const [a, b] = events("batch-repeat", 2);
      expect(await created(await report([a, b, a, { ...a, user: "BATCH-REPEAT" }]))).toEqual({
        success: true,
        accepted: 2,
        duplicates: 2,
        rejected: [],
      });
      expect(await storedEvents("batch-repeat")).toHaveLength(2);
    });

    it("refuses a batch with no valid event with 400 naming index and field, storing nothing", async () => {
      const before = await countAll();
      const error = await failed(
        await report({ events: [{ user: "nobody-valid", state: "idle" }, { state: "working" }] }),
        400,
        "no_valid_events",
      );
      expect(error.details).toEqual([
        { index: 0, field: "state", message: expect.any(String) },
        { index: 1, field: "user", message: expect.any(String) },
      ]);
      expect(await countAll()).toBe(before);
    });

    it("refuses an empty batch with 400", async () => {
      await failed(await report({ events: [] }), 400);
      await failed(await report([]), 400);
    });

    it("refuses events that is not a list with 400", async () => {
      await failed(await report({ events: { user: "x", state: "working" } }), 400);
    });

    it(`refuses more than ${MAX_BATCH_EVENTS} events with 413, storing nothing`, async () => {
      const before = await countAll();
      await failed(await report(events("too-many", MAX_BATCH_EVENTS + 1)), 413, "payload_too_large");
      expect(await storedEvents("too-many")).toEqual([]);
      expect(await countAll()).toBe(before);
    });

    it(`accepts exactly ${MAX_BATCH_EVENTS} events`, async () => {
      const body = await created(await report({ events: events("just-enough", MAX_BATCH_EVENTS) }));
      expect(body).toMatchObject({ accepted: MAX_BATCH_EVENTS, duplicates: 0 });
      expect(await storedEvents("just-enough")).toHaveLength(MAX_BATCH_EVENTS);
    });
  });

  describe("bodies", () => {
    const padded = (user: string, bytes: number) => {
      const base = JSON.stringify({ user, state: "working", ts: "2026-03-02T05:20:30Z", pad: "" });
      return base.replace('"pad":""', `"pad":"${"x".repeat(bytes - base.length)}"`);
    };

    it("refuses a body over 2 MiB with 413 and accepts one of exactly 2 MiB", async () => {
      const exact = padded("body-exact", MAX_BODY_BYTES);
      expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
      expect(await created(await send(exact))).toEqual({ success: true });
      await failed(await send(padded("body-over", MAX_BODY_BYTES + 1)), 413, "payload_too_large");
      expect(await storedEvents("body-over")).toEqual([]);
    });

    it("refuses a body whose declared length is over 2 MiB before reading it", async () => {
      const request = new Request(URL, {
        method: "POST",
        headers: { ...credentials, "content-type": "application/json", "content-length": String(MAX_BODY_BYTES + 1) },
        body: JSON.stringify({ user: "declared-over", state: "working" }),
      });
      await failed(await POST(request, {}), 413, "payload_too_large");
      expect(await storedEvents("declared-over")).toEqual([]);
    });

    it.each([
      ["text/plain", "text/plain"],
      ["form data", "application/x-www-form-urlencoded"],
      ["none", null],
    ])("refuses Content-Type %s with 415", async (_label, type) => {
      await failed(
        await send(JSON.stringify({ user: "wrong-type", state: "working" }), type),
        415,
        "unsupported_media_type",
      );
      expect(await storedEvents("wrong-type")).toEqual([]);
    });

    it("accepts JSON with a charset", async () => {
      expect(
        await created(
          await send(JSON.stringify({ user: "charset", state: "working" }), "application/json; charset=utf-8"),
        ),
      ).toEqual({
        success: true,
      });
    });

    it.each([
      ["a lone continuation byte", [0x80]],
      ["a Latin-1 é", [0xe9]],
      ["a truncated sequence", [0xe2, 0x82]],
      ["an overlong slash", [0xc0, 0xaf]],
    ])("refuses a body that is not UTF-8 (%s) with 400 invalid_encoding, storing nothing", async (_label, bytes) => {
      // Decoded leniently, these would be stored as U+FFFD: a name nobody sent.
      const body = Buffer.concat([
        Buffer.from('{"user": "bad-utf8-'),
        Buffer.from(bytes),
        Buffer.from('", "state": "working"}'),
      ]);
      const request = new Request(URL, {
        method: "POST",
        headers: { ...credentials, "content-type": "application/json" },
        body,
      });
      const error = await failed(await POST(request, {}), 400, "invalid_encoding");
      expect(error.message).toMatch(/^The body is not valid UTF-8 \(at byte 19\)/);
      const [{ n }] = await database.db.raw.query<{ n: unknown }>(
        `SELECT count(*) AS n FROM work_events WHERE user_key LIKE 'bad-utf8%'`,
      );
      expect(Number(n)).toBe(0);
    });

    it.each([
      ["truncated", '{"user": "alice", "state": '],
      ["single quotes", "{'user': 'alice', 'state': 'working'}"],
      ["trailing comma", '{"user": "alice", "state": "working",}'],
      ["empty", ""],
    ])("refuses invalid JSON (%s) with 400", async (_label, text) => {
      await failed(await send(text), 400);
    });

    it.each([
      ["a number", "42"],
      ["a string", '"alice working"'],
      ["null", "null"],
      ["true", "true"],
    ])("refuses %s with 400", async (_label, text) => {
      const error = await failed(await send(text), 400);
      expect(error.message).toBeTruthy();
    });
  });

  describe("usernames", () => {
    it.each([["CORP\\Jürgen"], ["李雷"], ["user 🚀🎉"], ["Ελένη"], ["👨‍👩‍👧 family"]])(
      "stores %s exactly",
      async (user) => {
        await created(await report({ user, state: "working", ts: "2026-03-02T05:20:30Z" }));
        const key = user.toLowerCase();
        expect(await storedEvents(key)).toEqual([
          { userKey: key, username: user, state: "working", ts: Date.parse("2026-03-02T05:20:30Z") },
        ]);
        expect((await trackedUser(key)).map((u) => u.displayName)).toEqual([user]);
      },
    );

    it("matches usernames case-insensitively and keeps the first spelling as the display name", async () => {
      await created(await report({ user: "CORP\\ALICE", state: "working", ts: "2026-03-02T05:00:00Z" }));
      await created(await report({ user: "corp\\alice", state: "stopped", ts: "2026-03-02T06:00:00Z" }));
      await created(await report({ user: "Corp\\Alice", state: "working", ts: "2026-03-02T07:00:00Z" }));
      expect((await storedEvents("corp\\alice")).map((e) => e.username)).toEqual([
        "CORP\\ALICE",
        "corp\\alice",
        "Corp\\Alice",
      ]);
      expect(await trackedUser("corp\\alice")).toEqual([
        { displayName: "CORP\\ALICE", lastState: "working", lastEventAt: Date.parse("2026-03-02T07:00:00Z") },
      ]);
    });

    it("matches non-Latin usernames case-insensitively", async () => {
      await created(await report({ user: "CORP\\ÉLODIE", state: "working", ts: "2026-03-02T05:00:00Z" }));
      expect(
        await created(await report({ user: "corp\\élodie", state: "working", ts: "2026-03-02T05:00:00Z" })),
      ).toEqual({
        success: true,
        duplicate: true,
      });
      expect((await trackedUser("corp\\élodie")).map((u) => u.displayName)).toEqual(["CORP\\ÉLODIE"]);
    });

    it("keeps tracked_users at the latest event whatever order events arrive in", async () => {
      await created(await report({ user: "late-arrival", state: "stopped", ts: "2026-03-02T09:00:00Z" }));
      await created(await report({ user: "late-arrival", state: "working", ts: "2026-03-02T08:00:00Z" }));
      expect(await trackedUser("late-arrival")).toEqual([
        { displayName: "late-arrival", lastState: "stopped", lastEventAt: Date.parse("2026-03-02T09:00:00Z") },
      ]);
    });
  });

  describe("other methods and paths", () => {
    it("answers GET /api/report with a 405 envelope", async () => {
      const res = await GET();
      await failed(res, 405, "method_not_allowed");
      expect(res.headers.get("allow")).toBe("POST");
    });

    it("answers an unknown API path with a 404 envelope, never HTML", async () => {
      const error = await failed(await unknownApi(new Request("http://localhost/api/no-such-thing")), 404, "not_found");
      expect(error.message).toContain("/api/no-such-thing");
      await failed(
        await unknownApiPost(new Request("http://localhost/api/reports/nope", { method: "POST", body: "{}" })),
        404,
      );
    });
  });
});

describe("the bare /api path", () => {
  it("answers the JSON 404 envelope, not an HTML page", async () => {
    const res = await unknownApi(new Request("http://localhost/api"));
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect((await res.json()).error.code).toBe("not_found");
  });
});
