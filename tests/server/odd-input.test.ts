import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/lib/db";
import { migrate } from "@/lib/db/migrator";
import { newSession, sessionHeader } from "../helpers/credentials";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { startServer, type RunningServer } from "../helpers/server";

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** One request exactly as written (no URL normalising, any method). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A raw request line, for what an HTTP client library will not send (CONNECT, unknown methods). */
function sendRaw(port: number, head: string) {
  return new Promise<Answer>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`${head}\r\nHost: 127.0.0.1\r\n\r\n`));
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\r\n\r\n")) socket.destroy();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [status, ...lines] = text.split("\r\n\r\n")[0].split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      resolve({ status: Number(status.split(" ")[1] ?? 0), headers, body: "" });
    });
  });
}

function expectHeaders(what: string, answer: Answer) {
  expect(answer.status, `${what} → ${answer.status} ${answer.body.slice(0, 200)}`).toBeGreaterThanOrEqual(200);
  expect(answer.status, `${what} → ${answer.status} ${answer.body.slice(0, 200)}`).toBeLessThan(500);
  expect(answer.headers["x-content-type-options"], `${what}: X-Content-Type-Options`).toBe("nosniff");
  expect(answer.headers["x-frame-options"], `${what}: X-Frame-Options`).toBe("DENY");
  expect(answer.headers["referrer-policy"], `${what}: Referrer-Policy`).toBeTruthy();
  expect(answer.headers["content-security-policy"], `${what}: Content-Security-Policy`).toContain("frame-ancestors");
}

const FAR_DATES = ["9999-12-31", "0001-01-01", "1969-12-31", "3000-01-01"];

const ODD_PATHS = [
  "/",
  "/apixyz",
  "/api-docs",
  "/favicon.icon",
  "/nowhere",
  "/employees/%E0%A4%A",
  "/reports/%ff",
  "/%ff",
  "/api/%ff",
  "/admin/%ff",
  "/_next/static/%ff",
  "/api/users/%E0%A4%A/timeline",
  "/sign-in?next=%2F%E3%80%80",
  "/sign-in?next=%ff",
  "/reports/week?date=%ff",
  "/api/reports/summary?period=week&date=%ff",
  ...FAR_DATES.flatMap((date) => [
    `/reports/day?date=${date}`,
    `/reports/week?date=${date}`,
    `/reports/month?date=${date}`,
    `/employees/ana?date=${date}`,
    `/api/reports/summary?period=week&date=${date}`,
    `/api/reports/summary?period=month&date=${date}`,
    `/api/reports/export.csv?period=week&date=${date}`,
    `/api/reports/real_work_hours?start_date=${date}`,
    `/api/users/ana/timeline?date=${date}`,
    `/api/dashboard/week?date=${date}`,
    `/api/dashboard/employees/ana?date=${date}`,
  ]),
];

/** Methods the app serves on no path, or only on some. */
const OTHER_METHODS = ["PROPFIND", "OPTIONS", "HEAD", "DELETE", "PUT", "PATCH"];

/** A server in `mode` on a fresh SQLite database, with an admin's session and a viewer's password. */
function useServer(mode: "server.ts" | "next start") {
  const state = {} as {
    database: TestDatabase;
    server: RunningServer;
    cookie: Record<string, string>;
    viewer: { username: string; password: string };
  };
  beforeAll(async () => {
    state.database = await createTestDatabase("sqlite");
    const db = openDb(state.database.url);
    try {
      await migrate(db);
      state.cookie = sessionHeader((await newSession(db, "admin")).cookie);
      const password = "a-long-enough-password-1";
      state.viewer = { username: (await newSession(db, "viewer", password)).username, password };
    } finally {
      await db.close();
    }
    state.server = await startServer({ DATABASE_URL: state.database.url }, { mode });
  });
  afterAll(async () => {
    await state.server?.stop();
    await state.database?.drop();
  });
  return state;
}

/** Every odd path, signed in and not, and `methods` on a few paths: below 500, every header. */
async function expectOddRequestsAnswered(server: RunningServer, cookie: Record<string, string>, methods: string[]) {
  for (const path of ODD_PATHS) {
    expectHeaders(`GET ${path} signed in`, await send(server.url, "GET", path, cookie));
    expectHeaders(`GET ${path}`, await send(server.url, "GET", path));
  }
  for (const method of methods) {
    for (const path of ["/", "/api/health", "/reports/week", "/sign-in", "/%ff"]) {
      expectHeaders(`${method} ${path}`, await send(server.url, method, path, cookie));
    }
  }
}

describe("odd paths, methods and parameters (npm start)", () => {
  const running = useServer("server.ts");

  it("answers every odd request below 500 and with every security header", async () => {
    await expectOddRequestsAnswered(running.server, running.cookie, ["TRACE", ...OTHER_METHODS]);
    for (const head of ["CONNECT 127.0.0.1:22 HTTP/1.1", "FOO / HTTP/1.1", "GET /\u0001 HTTP/1.1"]) {
      expectHeaders(head, await sendRaw(running.server.port, head));
    }
    // A stack trace on every stray request would bury the log.
    expect(running.server.output()).not.toMatch(/^\s+at /m);
    // server.ts knows each client's address, so it has nothing to warn about.
    expect(running.server.output()).not.toContain("client addresses are unknown");
  });

  it("turns a far date into a 400 naming the parameter, on the pages a message about the date", async () => {
    const api = await send(
      running.server.url,
      "GET",
      "/api/reports/summary?period=week&date=9999-12-31",
      running.cookie,
    );
    expect(api.status).toBe(400);
    expect(JSON.parse(api.body).error.details).toEqual([expect.objectContaining({ field: "date" })]);
    const page = await send(running.server.url, "GET", "/reports/week?date=9999-12-31", running.cookie);
    expect(page.body.includes("Date must be between 2000-01-01 and 2999-12-31")).toBe(true);
    expect(page.body.includes("database is unavailable")).toBe(false);
  });

  it("signs in to a next address written in any script", async () => {
    const res = await send(
      running.server.url,
      "POST",
      "/auth/sign-in",
      { "content-type": "application/x-www-form-urlencoded", origin: running.server.url },
      new URLSearchParams({ ...running.viewer, next: "/employees/山田\u3000" }).toString(),
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/employees/%E5%B1%B1%E7%94%B0%E3%80%80");
    expect(res.headers["set-cookie"]).toBeTruthy();
  });
});

// Without server.ts nothing of the app runs before Next for some requests: proxy.ts turns an
// undecodable path into a 400, but a method Next's request objects refuse (TRACE) fails inside
// Next before proxy.ts runs, and an unparsable request line never reaches Next. The deployment
// docs put a plain `next start` behind nginx, which refuses those; what it answers on its own
// must still give nothing away.
describe("odd paths and methods under a plain next start", () => {
  const running = useServer("next start");

  it("answers every odd path below 500 and with every security header", async () => {
    await expectOddRequestsAnswered(running.server, running.cookie, OTHER_METHODS);
  });

  it("refuses an undecodable API path with the error envelope naming the path", async () => {
    const answer = await send(running.server.url, "GET", "/api/users/%E0%A4%A/timeline", running.cookie);
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toContain("application/json");
    expect(JSON.parse(answer.body)).toEqual({
      success: false,
      error: { code: "invalid_path", message: "The path is not valid percent-encoded UTF-8" },
    });
  });

  it("answers TRACE, which Next fails on before any app code, with a bare 500 that tells nothing", async () => {
    for (const path of ["/", "/api/health", "/sign-in"]) {
      const answer = await send(running.server.url, "TRACE", path, running.cookie);
      expect(answer.status, `TRACE ${path}`).toBe(500);
      expect(answer.body, `TRACE ${path}`).toBe("Internal Server Error");
    }
  });
});
