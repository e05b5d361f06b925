import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/report/route";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "@/lib/ingest/schema";
import { bearer, ingestTokenFor, useProcessTokens } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, useProcessDatabase, type TestDatabase } from "../helpers/databases";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

type Body = string | Uint8Array<ArrayBuffer>;
type Send = (body: Body, contentType: string | null) => Promise<Response>;

const ALLOWED = [201, 400, 413, 415];

// ---- what a client may send -------------------------------------------------------------

const validTs = fc
  .date({ min: new Date("2000-01-02T00:00:00Z"), max: new Date(Date.now() - 60_000), noInvalidDate: true })
  .map((d) => d.toISOString());

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ minLength: 250, maxLength: 300 }),
  fc.constantFrom(
    "",
    " ",
    "\t\n",
    "CORP\\alice",
    "ALICE",
    "a\u0000b",
    "a\u0085b",
    "\u2028",
    "\ud800",
    "İstanbul",
    "e\u0301",
  ),
);

const tsLike = fc.oneof(
  validTs,
  validTs.map((ts) => ts.replace("Z", "+05:30")),
  validTs.map((ts) => ts.replace(/\.\d+Z$/, ".1234567-0800")),
  validTs.map((ts) => ts.slice(0, 19)),
  fc.constantFrom(
    "2026-02-30T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "2026-03-02T24:00:00Z",
    "2026-03-02T05:20:30+19:00",
    "0000-01-01T00:00:00Z",
  ),
  text,
  fc.constant(null),
  fc.jsonValue({ maxDepth: 1 }),
);

const stateLike = fc.oneof(
  fc.constantFrom("working", "stopped", "Working", "STOPPED", "idle", "", " working"),
  fc.jsonValue({ maxDepth: 1 }),
);
const userLike = fc.oneof(text, fc.jsonValue({ maxDepth: 1 }));

const eventLike = fc
  .tuple(
    fc.record({ user: userLike, state: stateLike, ts: tsLike }, { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  )
  .map(([event, extra]) => ({ ...extra, ...event }));

const validEvent = fc.record({
  user: fc.stringMatching(/^[A-Za-z0-9\\._-]{1,30}$/),
  state: fc.constantFrom("working", "stopped"),
  ts: validTs,
});

const jsonText = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value));

/** Bodies of every shape: events, batches, any JSON, broken JSON, text and bytes. */
const anyBody: fc.Arbitrary<Body> = fc.oneof(
  eventLike.map((e) => JSON.stringify(e)),
  fc.array(eventLike, { maxLength: 20 }).map((events) => JSON.stringify(events)),
  fc.array(fc.oneof(eventLike, validEvent), { maxLength: 20 }).map((events) => JSON.stringify({ events })),
  fc.record({ events: fc.jsonValue({ maxDepth: 2 }) }).map((body) => JSON.stringify(body)),
  jsonText,
  fc
    .tuple(jsonText, fc.nat(), fc.nat(), fc.string({ maxLength: 3 }))
    .map(
      ([json, at, cut, insert]) =>
        json.slice(0, at % (json.length + 1)) + insert + json.slice((at + (cut % 4)) % (json.length + 1)),
    ),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 50 }).map((bytes) => new Uint8Array([0xef, 0xbb, 0xbf, ...bytes])),
);

const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  "application/vnd.api+json",
  "application/problem+json;charset=UTF-8",
  "application/json ; charset=utf-8",
];
const OTHER_TYPES = [
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonp",
  "application/json-patch",
  "*/*",
  "application/*",
  "json",
  "application/xml",
  "",
];

const contentType = fc.oneof(
  fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES),
  fc.constant(null),
  fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/),
  fc.stringMatching(/^application\/[a-z0-9.+-]{0,10}json[a-z; =-]{0,15}$/),
);

// ---- what every answer must be ----------------------------------------------------------

type Checked = { status: number; body: Record<string, unknown> };

async function checkAnswer(res: Response): Promise<Checked> {
  const raw = await res.text();
  const where = `${res.status} ${raw.slice(0, 300)}`;
  expect(ALLOWED, where).toContain(res.status);
  expect(res.headers.get("content-type"), where).toMatch(/^application\/json/);
  const body = JSON.parse(raw) as Record<string, unknown>;
  expect(body.success, where).toBe(res.status === 201);
  if (res.status !== 201) {
    expect(Object.keys(body).sort(), where).toEqual(["error", "success"]);
    const error = body.error as { code: unknown; message: unknown; details?: unknown };
    expect(typeof error.code, where).toBe("string");
    expect(typeof error.message, where).toBe("string");
    if (error.details !== undefined) expect(Array.isArray(error.details), where).toBe(true);
  }
  return { status: res.status, body };
}

/** A 201 for a batch accounts for every item it was sent. */
function checkBatchCounts(body: Record<string, unknown>, items: number) {
  const { accepted, duplicates, rejected } = body as {
    accepted: number;
    duplicates: number;
    rejected: { index: number }[];
  };
  expect(accepted + duplicates + rejected.length).toBe(items);
  for (const r of rejected) expect(r.index).toBeLessThan(items);
}

function runProperties(send: () => Send, numRuns: number) {
  it("answers any body with a JSON envelope and never a 500", async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, fc.constantFrom(...JSON_TYPES), async (body, type) => {
        const { status } = await checkAnswer(await send()(body, type));
        expect([201, 400]).toContain(status);
      }),
      { numRuns },
    );
  });

  it("accounts for every item of an event-like batch", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(eventLike, validEvent), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (events, bare) => {
          const { status, body } = await checkAnswer(
            await send()(JSON.stringify(bare ? events : { events }), "application/json"),
          );
          if (status === 201) checkBatchCounts(body, events.length);
          else expect(status).toBe(400);
        },
      ),
      { numRuns },
    );
  });

  it("stores a valid event whatever JSON content type declares it, and refuses other types with 415", async () => {
    await fc.assert(
      fc.asyncProperty(validEvent, contentType, async (event, type) => {
        const { status, body } = await checkAnswer(await send()(JSON.stringify(event), type));
        if (type !== null && JSON_TYPES.includes(type)) expect(status).toBe(201);
        if (type === null || OTHER_TYPES.includes(type)) expect(status).toBe(415);
        expect([201, 415]).toContain(status);
        if (status === 201)
          expect(body).toEqual(body.duplicate ? { success: true, duplicate: true } : { success: true });
      }),
      { numRuns },
    );
  });

  it("refuses huge and deeply nested bodies with a 4xx", async () => {
    const event = { user: "fuzz-huge", state: "working" };
    const cases: [string, Body, number][] = [
      ["a body past the limit", "x".repeat(MAX_BODY_BYTES + 1), 413],
      ["valid JSON past the limit", JSON.stringify({ events: [event], pad: "x".repeat(MAX_BODY_BYTES) }), 413],
      ["too many events", JSON.stringify(Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => event)), 413],
      ["a 1.5 MB username", JSON.stringify({ ...event, user: "u".repeat(1_500_000) }), 400],
      ["a 1.5 MB ts", JSON.stringify({ ...event, ts: "2".repeat(1_500_000) }), 400],
      ["deeply nested arrays", "[".repeat(500_000) + "]".repeat(500_000), 400],
      ["deeply nested objects", '{"a":'.repeat(200_000) + "1" + "}".repeat(200_000), 400],
      ["a deeply nested user", `{"state":"working","user":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, 400],
      ["unbalanced nesting", "[".repeat(1_000_000), 400],
      ["many keys", JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))), 400],
    ];
    for (const [name, body, status] of cases) {
      expect((await checkAnswer(await send()(body, "application/json"))).status, name).toBe(status);
    }
  });
}

/** Streams `total` bytes of a never-ending JSON array as one chunked POST, as a client that does not stop for an early answer. */
function postChunked(
  port: number,
  agent: http.Agent,
  total: number,
  auth: Record<string, string>,
): Promise<{ status: number; connection?: string } | { error: string }> {
  return new Promise((resolve) => {
    let answer: { status: number; connection?: string } | undefined;
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/api/report",
        method: "POST",
        agent,
        headers: { ...auth, "content-type": "application/json" },
      },
      (res) => {
        answer = { status: res.statusCode!, connection: res.headers.connection };
        res.resume().on("end", () => resolve(answer!));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => resolve(answer ?? { error: error.code ?? error.message }));
    const chunk = Buffer.from(`[${'"x",'.repeat(16_383)}`);
    let sent = 0;
    const write = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

describe.each(PROVIDERS)("fuzzing POST /api/report in-process on %s", (provider) => {
  const tokens = useProcessTokens(useProcessDatabase(provider));
  const send: Send = (body, contentType) =>
    POST(
      new Request("http://localhost/api/report", {
        method: "POST",
        headers: contentType === null ? tokens.ingest : { ...tokens.ingest, "content-type": contentType },
        body,
      }),
      {},
    );
  runProperties(() => send, 300);
});

describe.each(PROVIDERS)("fuzzing the built server on %s", (provider) => {
  let database: TestDatabase;
  let server: RunningServer;
  let auth: Record<string, string> = {};
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    auth = bearer(await ingestTokenFor(database.url));
    server = await startServer({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });
  const send: Send = (body, contentType) =>
    fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: contentType === null ? auth : { ...auth, "content-type": contentType },
      body,
    });
  runProperties(() => send, 60);

  it("refuses a chunked body past the limit and keeps the connection usable", { timeout: 60_000 }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Within the bound the server reads the rest and keeps the connection; past it, it closes it.
      for (const total of [MAX_BODY_BYTES * 2, MAX_BODY_BYTES * 6]) {
        const outcome = await postChunked(server.port, agent, total, auth);
        if (total <= MAX_BODY_BYTES * 4) expect(outcome).toMatchObject({ status: 413, connection: "keep-alive" });
        else if ("status" in outcome) expect(outcome).toMatchObject({ status: 413, connection: "close" });
        else expect(["EPIPE", "ECONNRESET"]).toContain(outcome.error);
        const started = Date.now();
        const next = await new Promise<number>((resolve, reject) =>
          http
            .get(`${server.url}/api/health`, { agent }, (res) => res.resume().on("end", () => resolve(res.statusCode!)))
            .on("error", reject),
        );
        expect(next).toBe(200);
        expect(Date.now() - started).toBeLessThan(2000);
      }
    } finally {
      agent.destroy();
    }
  });

  // "." and ".." segments are left out: the client resolves them, to a path outside /api.
  it("answers other methods and paths with JSON, never HTML", async () => {
    const segment = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/).filter((s) => !/^\.+$/.test(s)),
      fc.constantFrom("%zz", "%", "%C0%AF", "%E2%80", "%00", "report%2F", "a..b", "%E2%80%AE", "a%20b"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "POST"),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        async (method, path) => {
          for (const url of [`${server.url}/api/report`, `${server.url}/api/${path.join("/")}`]) {
            const res = await fetch(url, {
              method,
              headers: { "content-type": "application/json" },
              body: method === "GET" ? undefined : "{}",
            });
            const raw = await res.text();
            const where = `${method} ${url}: ${res.status} ${raw.slice(0, 200)}`;
            expect(res.status, where).toBeLessThan(500);
            expect(res.headers.get("content-type"), where).toMatch(/^application\/json/);
            expect(JSON.parse(raw).success, where).toBeTypeOf("boolean");
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("is still up and healthy afterwards", async () => {
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(server.output()).not.toMatch(/ERROR|Unhandled|TypeError|RangeError/);
  });
});
