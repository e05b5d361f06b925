import { readFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as addAgents, GET as getAddAgents } from "@/app/api/devices/agents/route";
import { POST as report } from "@/app/api/report/route";
import { csrfTokenFor } from "@/lib/auth/csrf";
import { listTokens } from "@/lib/auth/tokens";
import { loadConfig, type Config } from "@/lib/config";
import { bearer, newSession, newToken, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { failed } from "../helpers/envelope";

type ConfigState = typeof globalThis & { __workTracingConfig?: Config };
const configState = globalThis as ConfigState;

const HOST = "tracker.corp.test:8080";
const FILES = [
  "work-tracing/INSTALL.txt",
  "work-tracing/README.md",
  "work-tracing/config.env",
  "work-tracing/config.env.example",
  "work-tracing/report.ps1",
  "work-tracing/run_hidden.vbs",
  "work-tracing/schedule_task.ps1",
];

/** config.env's KEY=VALUE lines, quotes removed. */
const settingsOf = (text: string) =>
  Object.fromEntries(
    [...text.matchAll(/^([A-Z_]+)="?([^"\r\n]*)"?\s*$/gm)].map((m) => [m[1], m[2]] as const),
  ) as Record<string, string>;

describe.each(PROVIDERS)("adding agents from the fleet page on %s", (provider) => {
  const database = useProcessDatabase(provider);
  let admin: { username: string; cookie: string };
  let saved: Config | undefined;

  const useConfig = (env: Record<string, string> = {}) => {
    configState.__workTracingConfig = loadConfig(env, process.cwd());
  };

  beforeAll(async () => {
    saved = configState.__workTracingConfig;
    useConfig();
    admin = await newSession(database.db, "admin");
  });
  afterAll(() => {
    configState.__workTracingConfig = saved;
  });

  /** The form's post as the fleet page's script sends it, from a browser that reached `host`. */
  type Sent = { cookie?: string; host?: string; origin?: string; headers?: Record<string, string> };
  function post(fields: Record<string, string>, sent: Sent = {}) {
    const { cookie = admin.cookie, host = HOST, headers = {} } = sent;
    const origin = sent.origin ?? `http://${host}`;
    return addAgents(
      new Request(`http://${host}/api/devices/agents`, {
        method: "POST",
        headers: {
          host,
          origin,
          "content-type": "application/x-www-form-urlencoded",
          ...sessionHeader(cookie),
          ...headers,
        },
        body: new URLSearchParams({ csrf: csrfTokenFor(cookie), ...fields }),
      }),
      {},
    );
  }

  const tokenCount = async () => (await listTokens(database.db)).length;

  it("makes an ingest token and answers with the agent's zip, config.env set to this server and the token", async () => {
    const res = await post({ name: `Head office ${provider}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="work-tracing-agent-Head_office_${provider}.zip"`,
    );
    const token = res.headers.get("x-agent-token")!;
    expect(token).toMatch(/^wt_ingest_/);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(FILES);
    // The agent itself exactly as client_tools ships it.
    for (const name of ["report.ps1", "schedule_task.ps1", "run_hidden.vbs", "README.md"])
      expect(Buffer.from(files[`work-tracing/${name}`]).equals(readFileSync(`client_tools/${name}`)), name).toBe(true);
    const config = settingsOf(strFromU8(files["work-tracing/config.env"]));
    const example = settingsOf(readFileSync("client_tools/config.env.example", "utf8"));
    expect(config).toEqual({ ...example, API_ENDPOINT: `http://${HOST}/api/report`, AGENT_TOKEN: token });
    const install = strFromU8(files["work-tracing/INSTALL.txt"]);
    expect(install).toContain("powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\schedule_task.ps1");
    expect(install).toContain("-File .\\schedule_task.ps1 -Uninstall");
    expect(install).toMatch(/GROUP POLICY[\s\S]*Startup[\s\S]*INTUNE[\s\S]*Detection rule/);

    // Stored hashed, listed as an ingest token the admin made, and audited.
    const made = (await listTokens(database.db)).find((t) => token.startsWith(t.prefix))!;
    expect(made).toMatchObject({ name: `Head office ${provider}`, scope: "ingest", createdBy: admin.username });
    const rows = await database.db.raw.query<Record<string, unknown>>("SELECT * FROM api_tokens");
    expect(JSON.stringify(rows)).not.toContain(token.slice(12));
    const audit = await database.db.raw.query<Record<string, unknown>>(
      "SELECT actor, action FROM audit_log WHERE action = 'token.create' AND actor = ?",
      [admin.username],
    );
    expect(audit.length).toBeGreaterThan(0);

    // The agent's token works for /api/report.
    const sent = await report(
      new Request("http://localhost/api/report", {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({
          events: [
            { user: "newpc-user", state: "working", ts: new Date().toISOString(), device: "NEW-PC", agent: "2.1.0" },
          ],
        }),
      }),
      {},
    );
    expect(sent.status).toBe(201);
  });

  it("uses the address the admin entered, and behind trusted proxies the one they forwarded", async () => {
    const entered = await post({ name: "branch", server_url: " https://tracker.example.com/wt/ " });
    expect(entered.status).toBe(200);
    const config = settingsOf(
      strFromU8(unzipSync(new Uint8Array(await entered.arrayBuffer()))["work-tracing/config.env"]),
    );
    expect(config.API_ENDPOINT).toBe("https://tracker.example.com/wt/api/report");

    const proxied = { "x-forwarded-host": "hours.corp.test", "x-forwarded-proto": "https" };
    useConfig({ TRUSTED_PROXIES: "1" });
    try {
      const res = await post(
        { name: "proxied" },
        { host: "127.0.0.1:3000", origin: "https://hours.corp.test", headers: proxied },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("x-agent-server")).toBe("https://hours.corp.test");
    } finally {
      useConfig();
    }
    // Without TRUSTED_PROXIES the forwarded headers count for nothing: that origin is cross-site.
    const spoofed = await post({ name: "spoofed" }, { origin: "https://hours.corp.test", headers: proxied });
    expect((await failed(spoofed, 403)).code).toBe("cross_site");
  });

  it("asks for the address when the browser reached a loopback one, and makes no token", async () => {
    const before = await tokenCount();
    const res = await post({ name: "local" }, { host: "127.0.0.1:5050" });
    expect((await failed(res, 400)).code).toBe("server_url_required");
    const bad = await post({ name: "bad", server_url: "ftp://tracker.example.com" });
    const error = await failed(bad, 400);
    expect(error.details?.map((d) => d.field)).toEqual(["server_url"]);
    const unnamed = await post({ name: "" });
    expect((await failed(unnamed, 400)).details?.map((d) => d.field)).toEqual(["name"]);
    expect(await tokenCount()).toBe(before);
  });

  it("refuses anyone but an admin's session, and posts without the form's CSRF token or from another site", async () => {
    const before = await tokenCount();
    const supervisor = await newSession(database.db, "supervisor");
    const viewer = await newSession(database.db, "viewer");
    for (const cookie of [supervisor.cookie, viewer.cookie])
      expect((await failed(await post({ name: "x" }, { cookie }), 403)).code).toBe("forbidden");
    for (const scope of ["read", "ingest"] as const) {
      const res = await addAgents(
        new Request(`http://${HOST}/api/devices/agents`, {
          method: "POST",
          headers: {
            ...bearer(await newToken(database.db, scope)),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: "name=x",
        }),
        {},
      );
      expect((await failed(res, 403)).code).toBe("forbidden");
    }
    const anonymous = await addAgents(new Request(`http://${HOST}/api/devices/agents`, { method: "POST" }), {});
    expect((await failed(anonymous, 401)).code).toBe("unauthorized");
    const wrongCsrf = await post({ name: "x", csrf: csrfTokenFor(viewer.cookie) });
    expect((await failed(wrongCsrf, 403)).code).toBe("csrf");
    const crossSite = await post({ name: "x" }, { origin: "https://evil.example" });
    expect((await failed(crossSite, 403)).code).toBe("cross_site");
    expect((await failed(await getAddAgents(), 405)).code).toBe("method_not_allowed");
    // Only the two read/ingest tokens this test made itself.
    expect(await tokenCount()).toBe(before + 2);
  });
});
