import { readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as signInPost } from "@/app/auth/sign-in/route";
import { signInMessage } from "@/app/sign-in/messages";
import { POST as signOutPost } from "@/app/auth/sign-out/route";
import { POST as teamsPost } from "@/app/admin/teams/actions/route";
import { listAudit } from "@/lib/auth/audit";
import { assignTeams, setPassword } from "@/lib/auth/accounts";
import { authorize } from "@/lib/auth/authorize";
import { csrfTokenFor } from "@/lib/auth/csrf";
import { RATE_LIMITS } from "@/lib/auth/rate-limit";
import { readSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import { signIn } from "@/lib/auth/sign-in";
import { createTeam, listTeams, setTeamMembers } from "@/lib/auth/teams";
import { revokeToken, listTokens } from "@/lib/auth/tokens";
import { runHoursEngine } from "@/lib/hours/run";
import { toUserKey } from "@/lib/users";
import { EventStore } from "@/lib/ingest/store";
import { bearer, newSession, newToken, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

const ROOT = path.resolve(import.meta.dirname, "../..");
const APP = path.join(ROOT, "app");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const DATE = "2026-03-02";
const cli = { actor: "tests" };

type Handler = (request: Request, context: unknown) => Promise<Response>;
type RouteModule = Partial<Record<(typeof METHODS)[number], Handler>>;

/** Every route handler file under app/, as its path from app/ ("api/users/route.ts"). */
function routeFiles(dir = APP): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return /^route\.(ts|tsx|js)$/.test(entry.name) ? [path.relative(APP, full)] : [];
  });
}

/**
 * What a request without any credential gets from the routes that are open by design; every
 * other route must answer 401 (or 405 for a method it does not support). A new route that
 * is not listed here and does not check access fails this test.
 */
const OPEN_ROUTES: Record<string, (method: string) => number[]> = {
  "api/health/route.ts": (method) => (method === "GET" ? [200] : [405]),
  // Guarded by CRON_SECRET alone: 401 without it, 403 when none is configured.
  "api/cron/process-real-hours/route.ts": (method) => (method === "GET" || method === "POST" ? [401, 403] : [405]),
  "api/cron/prune-events/route.ts": (method) => (method === "GET" || method === "POST" ? [401, 403] : [405]),
  // Unknown API paths: a 404 that names nothing.
  "api/[[...path]]/route.ts": () => [404],
  // The sign-in and sign-out forms answer with redirects to pages.
  "auth/sign-in/route.ts": () => [303],
  "auth/sign-out/route.ts": () => [303],
};

/**
 * The admin pages' form posts: without a session they send the browser to the sign-in page
 * (and come back to the admin page afterwards); any other role gets a 403. Every
 * route file under app/admin/ must be listed here.
 */
const ADMIN_FORM_ROUTES: Record<string, string> = {
  "admin/accounts/actions/route.ts": "/admin/accounts",
  "admin/teams/actions/route.ts": "/admin/teams",
  "admin/tokens/actions/route.ts": "/admin/tokens",
  "admin/schedules/actions/route.ts": "/admin/schedules",
  "admin/holidays/actions/route.ts": "/admin/holidays",
  "admin/leave/actions/route.ts": "/admin/leave",
};
/** Admin form routes a supervisor may post too (leave for their teams; the form checks whom). */
const SUPERVISOR_FORM_ROUTES = new Set(["admin/leave/actions/route.ts"]);

const context = { params: Promise.resolve({ username: "alice", path: ["anything"] }) };

async function loadRoute(file: string): Promise<RouteModule> {
  return (await import(path.join(APP, file))) as RouteModule;
}

function request(url: string, method = "GET", headers: Record<string, string> = {}, body?: string): Request {
  return new Request(`http://localhost${url}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });
}

async function envelope(res: Response, status: number): Promise<{ code: string }> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.success).toBe(false);
  return body.error;
}

describe.each(PROVIDERS)("access to every route on %s", (provider) => {
  const database = useProcessDatabase(provider);

  it("finds the routes, and every open route listed exists", () => {
    const files = routeFiles();
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const open of Object.keys(OPEN_ROUTES)) expect(files).toContain(open);
    expect(files.filter((file) => file.startsWith("admin/")).sort()).toEqual(Object.keys(ADMIN_FORM_ROUTES).sort());
  });

  it("answers every method of every route without a credential with 401, unless the route is open by design", async () => {
    for (const file of routeFiles()) {
      const route = await loadRoute(file);
      const methods = METHODS.filter((method) => typeof route[method] === "function");
      expect(methods.length, file).toBeGreaterThan(0);
      let unauthorized = 0;
      for (const method of methods) {
        const res = await route[method]!(request("/x", method, { "content-type": "application/json" }, "{}"), context);
        const where = `${method} ${file} → ${res.status}`;
        if (OPEN_ROUTES[file]) {
          expect(OPEN_ROUTES[file](method), where).toContain(res.status);
          continue;
        }
        if (ADMIN_FORM_ROUTES[file]) {
          expect(res.status, where).toBe(303);
          expect(res.headers.get("location"), where).toBe(
            `/sign-in?next=${encodeURIComponent(ADMIN_FORM_ROUTES[file])}`,
          );
          unauthorized++;
          continue;
        }
        expect([401, 405], where).toContain(res.status);
        const error = await envelope(res, res.status);
        if (res.status === 401) {
          unauthorized++;
          expect(error.code, where).toBe("unauthorized");
          expect(res.headers.get("www-authenticate"), where).toMatch(/^Bearer/);
        } else {
          expect(error.code, where).toBe("method_not_allowed");
        }
      }
      if (!OPEN_ROUTES[file]) expect(unauthorized, `${file} has no method that checks access`).toBeGreaterThan(0);
    }
  });

  describe("each credential on each route", () => {
    type Who = { name: string; headers: Record<string, string> };
    const who: Record<string, Who> = {};
    const READS: { file: string; url: string; params?: Record<string, string> }[] = [
      { file: "api/reports/summary/route.ts", url: `/api/reports/summary?period=day&date=${DATE}` },
      { file: "api/reports/real_work_hours/route.ts", url: `/api/reports/real_work_hours?start_date=${DATE}` },
      { file: "api/reports/export.csv/route.ts", url: `/api/reports/export.csv?period=week&date=${DATE}` },
      { file: "api/reports/export.xlsx/route.ts", url: `/api/reports/export.xlsx?period=week&date=${DATE}` },
      { file: "api/users/route.ts", url: "/api/users" },
      { file: "api/devices/route.ts", url: "/api/devices" },
      { file: "api/devices/export.csv/route.ts", url: "/api/devices/export.csv" },
      { file: "api/devices/export.xlsx/route.ts", url: "/api/devices/export.xlsx" },
      { file: "api/dashboard/fleet/route.ts", url: "/api/dashboard/fleet" },
      { file: "api/users/[username]/timeline/route.ts", url: `/api/users/alice/timeline?date=${DATE}` },
      ...["today", "day", "week", "month"].map((view) => ({
        file: "api/dashboard/[view]/route.ts",
        url: `/api/dashboard/${view}?date=${DATE}`,
        params: { view },
      })),
      { file: "api/dashboard/employees/[username]/route.ts", url: `/api/dashboard/employees/alice?date=${DATE}` },
    ];

    beforeAll(async () => {
      const db = database.db;
      await new EventStore(db).store(
        [{ userKey: "alice", username: "alice", state: "working", ts: Date.parse(`${DATE}T05:00:00Z`) }],
        Date.now(),
      );
      const team = await createTeam(db, `team-${provider}`, cli);
      await setTeamMembers(db, team.id, ["alice"], cli);
      const limited = await newSession(db, "supervisor");
      await assignTeams(db, limited.accountId, [team.id], cli);
      const revoked = await newToken(db, "read");
      const [revokedInfo] = (await listTokens(db)).filter((token) => revoked.startsWith(token.prefix));
      await revokeToken(db, revokedInfo.id, cli);
      const add = (name: string, headers: Record<string, string>) => (who[name] = { name, headers });
      add("admin session", sessionHeader((await newSession(db, "admin")).cookie));
      const unlimited = await newSession(db, "supervisor");
      await assignTeams(db, unlimited.accountId, "all", cli);
      add("supervisor session", sessionHeader(unlimited.cookie));
      add("team-limited supervisor", sessionHeader(limited.cookie));
      add("viewer session", sessionHeader((await newSession(db, "viewer")).cookie));
      add("read token", bearer(await newToken(db, "read")));
      add("ingest token", bearer(await newToken(db, "ingest")));
      add("metrics token", bearer(await newToken(db, "metrics")));
      add("revoked token", bearer(revoked));
      add("unknown token", bearer(`wt_read_${"A".repeat(43)}`));
      add("forged cookie", { cookie: `${SESSION_COOKIE}=${"a".repeat(43)}.${"b".repeat(43)}` });
    });

    const READERS = ["admin session", "supervisor session", "team-limited supervisor", "viewer session", "read token"];

    it("lets every account and the read token read, refuses the ingest and metrics tokens with 403 and bad credentials with 401", async () => {
      for (const { file, url, params } of READS) {
        const route = await loadRoute(file);
        for (const { name, headers } of Object.values(who)) {
          const res = await route.GET!(
            request(url, "GET", headers),
            params ? { params: Promise.resolve(params) } : context,
          );
          const where = `${name} GET ${url}`;
          if (READERS.includes(name)) expect(res.status, where).toBe(200);
          else if (name === "ingest token" || name === "metrics token")
            expect((await envelope(res, 403)).code, where).toBe("forbidden");
          else {
            expect((await envelope(res, 401)).code, where).toBe("unauthorized");
            expect(res.headers.get("www-authenticate"), where).toMatch(/^Bearer/);
          }
        }
      }
    });

    it("lets only the ingest token post events: 403 for sessions, read and metrics tokens, 401 for bad tokens", async () => {
      const route = await loadRoute("api/report/route.ts");
      for (const { name, headers } of Object.values(who)) {
        const body = JSON.stringify({ user: "poster", state: "working" });
        const res = await route.POST!(
          request("/api/report", "POST", { ...headers, "content-type": "application/json" }, body),
          {},
        );
        const where = `${name} POST /api/report`;
        if (name === "ingest token") expect(res.status, where).toBe(201);
        else if (READERS.includes(name) || name === "metrics token")
          expect((await envelope(res, 403)).code, where).toBe("forbidden");
        else expect((await envelope(res, 401)).code, where).toBe("unauthorized");
      }
    });

    it("lets only the metrics token read the metrics: 403 for every session and other token, 401 for bad credentials", async () => {
      const route = await loadRoute("api/metrics/route.ts");
      for (const { name, headers } of Object.values(who)) {
        const res = await route.GET!(request("/api/metrics", "GET", headers), {});
        const where = `${name} GET /api/metrics`;
        if (name === "metrics token") {
          expect(res.status, where).toBe(200);
          expect(res.headers.get("content-type"), where).toMatch(/^text\/plain/);
        } else if (READERS.includes(name) || name === "ingest token")
          expect((await envelope(res, 403)).code, where).toBe("forbidden");
        else expect((await envelope(res, 401)).code, where).toBe("unauthorized");
      }
    });

    it("keeps admin-only access to admin sessions", async () => {
      const credentials = (headers: Record<string, string>) => ({
        bearer: headers.authorization?.slice("Bearer ".length) ?? null,
        sessionCookie: headers.cookie?.slice(`${SESSION_COOKIE}=`.length) ?? null,
      });
      const outcome = async (name: string) =>
        authorize(database.db, "admin", credentials(who[name].headers)).then(
          () => 200,
          (error: { status: number }) => error.status,
        );
      expect(await outcome("admin session")).toBe(200);
      for (const name of [
        "supervisor session",
        "team-limited supervisor",
        "viewer session",
        "read token",
        "ingest token",
        "metrics token",
      ])
        expect(await outcome(name), name).toBe(403);
      for (const name of ["revoked token", "unknown token", "forged cookie"])
        expect(await outcome(name), name).toBe(401);
    });

    it("lets only an admin's session post the admin forms (a supervisor's too for leave): 403 for other roles and tokens, the sign-in page for bad credentials", async () => {
      for (const [file, page] of Object.entries(ADMIN_FORM_ROUTES)) {
        const route = await loadRoute(file);
        for (const { name, headers } of Object.values(who)) {
          const cookie = headers.cookie?.slice(`${SESSION_COOKIE}=`.length);
          // An unknown operation changes nothing, so this probes access alone.
          const body = new URLSearchParams({ op: "nothing", csrf: cookie ? csrfTokenFor(cookie) : "" }).toString();
          const res = await route.POST!(
            request("/x", "POST", { ...headers, "content-type": "application/x-www-form-urlencoded" }, body),
            context,
          );
          const where = `${name} POST ${file}`;
          const supervisorMay =
            SUPERVISOR_FORM_ROUTES.has(file) && ["supervisor session", "team-limited supervisor"].includes(name);
          if (name === "admin session" || supervisorMay) {
            expect(res.status, where).toBe(303);
            expect(res.headers.get("location"), where).toBe(page);
          } else if (["revoked token", "unknown token", "forged cookie"].includes(name)) {
            expect(res.status, where).toBe(303);
            expect(res.headers.get("location"), where).toMatch(/^\/sign-in\?next=/);
          } else expect(res.status, where).toBe(403);
          expect(res.headers.get("set-cookie") ?? "", where).not.toMatch(/wt_session=/);
        }
      }
    });

    it("records the token's last use", async () => {
      const [token] = (await listTokens(database.db)).filter((t) =>
        who["read token"].headers.authorization.includes(t.prefix),
      );
      expect(token.lastUsedAt).not.toBeNull();
    });
  });
});

describe.each(PROVIDERS)("the team limit on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const sessions: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    const db = database.db;
    const events = [];
    for (const user of ["CORP\\Alice", "bob", "carol"]) {
      for (let minute = 0; minute <= 50; minute += 10) {
        events.push({
          userKey: toUserKey(user),
          username: user,
          state: "working" as const,
          ts: Date.parse(`${DATE}T05:00:00Z`) + minute * 60_000,
        });
      }
      events.push({
        userKey: toUserKey(user),
        username: user,
        state: "stopped" as const,
        ts: Date.parse(`${DATE}T06:00:00Z`),
      });
    }
    await new EventStore(db).store(events, Date.now());
    expect(
      (
        await runHoursEngine({
          trigger: "test",
          db,
          rules: { gapMs: 15 * 60_000, blockMs: 40 * 60_000, timeZone: "Asia/Dubai" },
        })
      ).status,
    ).toBe("ok");
    const team = await createTeam(db, "floor-2", cli);
    await setTeamMembers(db, team.id, ["corp\\alice", "carol"], cli);
    const empty = await createTeam(db, "nobody", cli);
    const limited = await newSession(db, "supervisor");
    await assignTeams(db, limited.accountId, [team.id], cli);
    const limitedToNobody = await newSession(db, "supervisor");
    await assignTeams(db, limitedToNobody.accountId, [empty.id], cli);
    sessions.limited = sessionHeader(limited.cookie);
    sessions.nobody = sessionHeader(limitedToNobody.cookie);
    sessions.viewer = sessionHeader((await newSession(db, "viewer")).cookie);
  });

  const get = async (file: string, url: string, headers: Record<string, string>, params: Record<string, string> = {}) =>
    (await loadRoute(file)).GET!(request(url, "GET", headers), { params: Promise.resolve(params) });
  const data = async (res: Response) => {
    expect(res.status).toBe(200);
    return (await res.json()).data;
  };
  const names = (rows: { username: string }[]) => rows.map((row) => row.username);

  it("limits the summary, users, Real Work Hours and the CSV to the team's members", async () => {
    const cases: [string, Record<string, string>, string[]][] = [
      ["limited", sessions.limited, ["carol", "CORP\\Alice"]],
      ["nobody", sessions.nobody, []],
      ["viewer", sessions.viewer, ["bob", "carol", "CORP\\Alice"]],
    ];
    for (const [who, headers, expected] of cases) {
      const sorted = [...expected].sort((a, b) => (toUserKey(a) < toUserKey(b) ? -1 : 1));
      expect(
        names(
          await data(
            await get("api/reports/summary/route.ts", `/api/reports/summary?period=day&date=${DATE}`, headers),
          ),
        ),
        who,
      ).toEqual(sorted);
      expect(names(await data(await get("api/users/route.ts", "/api/users", headers))), who).toEqual(sorted);
      const hours = await data(
        await get("api/reports/real_work_hours/route.ts", `/api/reports/real_work_hours?start_date=${DATE}`, headers),
      );
      expect(names(hours), who).toEqual(sorted);
      const csv = await (
        await get("api/reports/export.csv/route.ts", `/api/reports/export.csv?period=day&date=${DATE}`, headers)
      ).text();
      const csvUsers = csv
        .replace(/^\uFEFF/, "")
        .trim()
        .split("\r\n")
        .slice(1)
        .map((line) => line.split(",")[0]);
      expect(csvUsers, who).toEqual(sorted);
    }
  });

  it("limits the dashboard's views to the team's members and names only the team", async () => {
    const cases: [string, Record<string, string>, string[], string[]][] = [
      ["limited", sessions.limited, ["carol", "CORP\\Alice"], ["floor-2"]],
      ["nobody", sessions.nobody, [], []],
      ["viewer", sessions.viewer, ["bob", "carol", "CORP\\Alice"], ["floor-2"]],
    ];
    for (const [who, headers, expected, teams] of cases) {
      for (const view of ["today", "day", "week", "month"]) {
        const shown = await data(
          await get("api/dashboard/[view]/route.ts", `/api/dashboard/${view}?date=${DATE}`, headers, { view }),
        );
        expect(names(shown.employees), `${who} ${view}`).toEqual(expected);
        expect(shown.teams, `${who} ${view}`).toEqual(teams);
      }
    }
  });

  it("answers 404 for the timeline of someone outside the teams, as for an unknown user", async () => {
    const file = "api/users/[username]/timeline/route.ts";
    expect(
      (await get(file, `/api/users/bob/timeline?date=${DATE}`, sessions.limited, { username: "bob" })).status,
    ).toBe(404);
    expect(
      (await get(file, `/api/users/ghost/timeline?date=${DATE}`, sessions.limited, { username: "ghost" })).status,
    ).toBe(404);
    const carol = await data(
      await get(file, `/api/users/carol/timeline?date=${DATE}`, sessions.limited, { username: "carol" }),
    );
    expect(carol.username).toBe("carol");
    expect((await get(file, `/api/users/bob/timeline?date=${DATE}`, sessions.viewer, { username: "bob" })).status).toBe(
      200,
    );
  });

  it("answers 404 for the employee view of someone outside the teams, as for an unknown user", async () => {
    const file = "api/dashboard/employees/[username]/route.ts";
    const employee = (username: string, headers: Record<string, string>) =>
      get(file, `/api/dashboard/employees/${username}?date=${DATE}`, headers, { username });
    for (const username of ["bob", "ghost"])
      expect((await envelope(await employee(username, sessions.limited), 404)).code, username).toBe("not_found");
    expect((await data(await employee("carol", sessions.limited))).username).toBe("carol");
    expect((await data(await employee("bob", sessions.viewer))).username).toBe("bob");
  });
});

describe.each(PROVIDERS)("a supervisor losing their last team on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const USERS = ["CORP\\Alice", "bob", "carol"];
  let admin: { username: string; cookie: string };
  let supervisor: { accountId: number; username: string; cookie: string };
  let teamId = 0;

  beforeAll(async () => {
    const db = database.db;
    // Heartbeats every 10 minutes for an hour: one working period each.
    const events = USERS.flatMap((user) =>
      [0, 10, 20, 30, 40, 50, 60].map((minute) => ({
        userKey: toUserKey(user),
        username: user,
        state: minute === 60 ? ("stopped" as const) : ("working" as const),
        ts: Date.parse(`${DATE}T05:00:00Z`) + minute * 60_000,
      })),
    );
    await new EventStore(db).store(events, Date.now());
    await runHoursEngine({
      trigger: "test",
      db,
      rules: { gapMs: 15 * 60_000, blockMs: 40 * 60_000, timeZone: "Asia/Dubai" },
    });
    const team = await createTeam(db, `only-alice-${provider}`, cli);
    teamId = team.id;
    await setTeamMembers(db, team.id, ["corp\\alice"], cli);
    admin = await newSession(db, "admin");
    supervisor = await newSession(db, "supervisor");
    await assignTeams(db, supervisor.accountId, [team.id], cli);
  });

  const get = async (file: string, url: string, params: Record<string, string> = {}) =>
    (await loadRoute(file)).GET!(request(url, "GET", sessionHeader(supervisor.cookie)), {
      params: Promise.resolve(params),
    });
  /** Whom the supervisor's session reads in every API and the CSV, and whether Alice's timeline answers. */
  async function seen() {
    const json = async (res: Response) => {
      expect(res.status).toBe(200);
      return ((await res.json()).data as { username: string }[]).map((row) => row.username);
    };
    const csv = await (
      await get("api/reports/export.csv/route.ts", `/api/reports/export.csv?period=day&date=${DATE}`)
    ).text();
    return {
      summary: await json(await get("api/reports/summary/route.ts", `/api/reports/summary?period=day&date=${DATE}`)),
      users: await json(await get("api/users/route.ts", "/api/users")),
      realWorkHours: await json(
        await get("api/reports/real_work_hours/route.ts", `/api/reports/real_work_hours?start_date=${DATE}`),
      ),
      csv: csv
        .replace(/^\uFEFF/, "")
        .trim()
        .split("\r\n")
        .slice(1)
        .map((line) => line.split(",")[0]),
      timeline: (
        await get("api/users/[username]/timeline/route.ts", `/api/users/corp%5Calice/timeline?date=${DATE}`, {
          username: "corp\\alice",
        })
      ).status,
    };
  }

  it("sees their one employee, and after an admin deletes the team the same session sees nobody, never everyone", async () => {
    const alice = ["CORP\\Alice"];
    expect(await seen()).toEqual({ summary: alice, users: alice, realWorkHours: alice, csv: alice, timeline: 200 });

    const body = new URLSearchParams({ op: "delete", id: String(teamId), csrf: csrfTokenFor(admin.cookie) });
    const res = await teamsPost(
      new Request("http://localhost/admin/teams/actions", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          host: "localhost",
          origin: "http://localhost",
          ...sessionHeader(admin.cookie),
        },
        body: body.toString(),
      }),
    );
    expect(res.status).toBe(303);
    expect((await listTeams(database.db)).some((team) => team.id === teamId)).toBe(false);

    expect(await seen()).toEqual({ summary: [], users: [], realWorkHours: [], csv: [], timeline: 404 });
  });

  it("records in the audit log that the supervisor's scope changed, and that they now see nobody", async () => {
    const entries = (await listAudit(database.db)).entries.filter((entry) => entry.action === "account.teams");
    expect(entries[0]).toMatchObject({
      actor: admin.username,
      target: supervisor.username,
      details: { from: [teamId], to: [], deletedTeam: `only-alice-${provider}`, seesNobody: true },
    });
  });

  it("keeps an explicit all-employees supervisor seeing everyone, and a new supervisor without teams sees nobody", async () => {
    const everyone = USERS.slice().sort((a, b) => (toUserKey(a) < toUserKey(b) ? -1 : 1));
    const all = await newSession(database.db, "supervisor");
    await assignTeams(database.db, all.accountId, "all", cli);
    const fresh = await newSession(database.db, "supervisor");
    for (const [who, cookie, expected] of [
      ["all employees", all.cookie, everyone],
      ["no teams", fresh.cookie, []],
    ] as const) {
      const res = await (
        await loadRoute("api/reports/summary/route.ts")
      ).GET!(request(`/api/reports/summary?period=day&date=${DATE}`, "GET", sessionHeader(cookie)), context);
      expect(
        ((await res.json()).data as { username: string }[]).map((row) => row.username),
        who,
      ).toEqual(expected);
    }
  });
});

describe.each(PROVIDERS)("signing in and out through the forms on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const ORIGIN = "http://localhost";

  const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    new Request(`${ORIGIN}${url}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", host: "localhost", origin: ORIGIN, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const cookieOf = (res: Response) => /^wt_session=([^;]*)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? null;

  it("signs in with a session cookie that is HttpOnly, SameSite=Lax, expiring, and Secure only behind HTTPS", async () => {
    const { username } = await newSession(database.db, "viewer", "correct horse battery");
    const res = await signInPost(
      form("/auth/sign-in", { username, password: "correct horse battery", next: "/?tab=1" }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/?tab=1");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^wt_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toMatch(/Max-Age=\d+/);
    expect(cookie).not.toContain("Secure");
    expect(await readSession(database.db, cookieOf(res))).not.toBeNull();

    const https = await signInPost(
      form("/auth/sign-in", { username, password: "correct horse battery" }, { "x-forwarded-proto": "https" }),
    );
    expect(https.headers.get("set-cookie")).toContain("; Secure");
  });

  it("never redirects off the site after signing in", async () => {
    const { username } = await newSession(database.db, "viewer", "correct horse battery");
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
      const res = await signInPost(form("/auth/sign-in", { username, password: "correct horse battery", next }));
      expect(res.headers.get("location"), next).toBe("/");
    }
  });

  it("refuses cross-site posts to the forms", async () => {
    const { username } = await newSession(database.db, "viewer", "correct horse battery");
    const res = await signInPost(
      form("/auth/sign-in", { username, password: "correct horse battery" }, { origin: "https://evil.example" }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    const fetchSite = await signInPost(
      form("/auth/sign-in", { username, password: "x" }, { origin: "", "sec-fetch-site": "cross-site" }),
    );
    expect(fetchSite.status).toBe(403);
  });

  it("says which: wrong password, then locked for N minutes at the limit", async () => {
    const { username } = await newSession(database.db, "viewer", "correct horse battery");
    const wrong = await signInPost(form("/auth/sign-in", { username, password: "wrong password!" }));
    expect(wrong.headers.get("location")).toMatch(/^\/sign-in\?error=invalid/);
    for (let i = 1; i < RATE_LIMITS.account.maxFailures; i++)
      await signInPost(form("/auth/sign-in", { username, password: "wrong password!" }));
    const locked = await signInPost(form("/auth/sign-in", { username, password: "correct horse battery" }));
    const location = new URL(locked.headers.get("location")!, ORIGIN);
    expect(location.pathname).toBe("/sign-in");
    expect(location.searchParams.get("error")).toBe("locked");
    expect(signInMessage("locked", location.searchParams.get("seconds"))).toBe(
      `Too many failed sign-ins: signing in is locked; try again in ${RATE_LIMITS.account.lockMs / 60_000} minutes.`,
    );
    expect(locked.headers.get("set-cookie")).toBeNull();
  });

  it("tells a locked sign-in the time really left on its lock, in seconds near its end", async () => {
    const { username } = await newSession(database.db, "viewer", "correct horse battery");
    // The failures were made long enough ago that the lock has 20 seconds left.
    const failedAt = Date.now() - RATE_LIMITS.account.lockMs + 20_000;
    for (let i = 0; i < RATE_LIMITS.account.maxFailures; i++)
      await signIn(database.db, { username, password: "wrong password!", ip: "192.0.2.44" }, { now: failedAt });
    const locked = await signInPost(form("/auth/sign-in", { username, password: "correct horse battery" }));
    expect(locked.headers.get("set-cookie")).toBeNull();
    const location = new URL(locked.headers.get("location")!, ORIGIN);
    expect(location.searchParams.get("error")).toBe("locked");
    const seconds = Number(location.searchParams.get("seconds"));
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(20);
    expect(signInMessage("locked", String(seconds))).toBe(
      `Too many failed sign-ins: signing in is locked; try again in ${seconds} second${seconds === 1 ? "" : "s"}.`,
    );
  });

  it("signs out only with the session's CSRF token, ending the session and clearing the cookie", async () => {
    const { cookie } = await newSession(database.db, "viewer");
    const headers = sessionHeader(cookie);
    const forged = await signOutPost(form("/auth/sign-out", { csrf: "not-the-token" }, headers));
    expect(forged.status).toBe(403);
    expect(await readSession(database.db, cookie)).not.toBeNull();

    const res = await signOutPost(form("/auth/sign-out", { csrf: csrfTokenFor(cookie) }, headers));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/sign-in?signed_out=1");
    expect(res.headers.get("set-cookie")).toMatch(/^wt_session=; .*Max-Age=0/);
    expect(await readSession(database.db, cookie)).toBeNull();
    const users = await loadRoute("api/users/route.ts");
    expect((await users.GET!(request("/api/users", "GET", headers), {})).status).toBe(401);
  });

  it("ends every session when the password changes", async () => {
    const { accountId, cookie } = await newSession(database.db, "supervisor");
    const users = await loadRoute("api/users/route.ts");
    expect((await users.GET!(request("/api/users", "GET", sessionHeader(cookie)), {})).status).toBe(200);
    await setPassword(database.db, accountId, "a brand new password", cli);
    expect((await users.GET!(request("/api/users", "GET", sessionHeader(cookie)), {})).status).toBe(401);
  });
});
