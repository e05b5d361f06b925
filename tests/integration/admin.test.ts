import { beforeAll, describe, expect, it } from "vitest";
import { POST as accountsPost } from "@/app/admin/accounts/actions/route";
import { openFlash, type Flash } from "@/app/admin/_lib/flash";
import { FLASH_COOKIE } from "@/app/admin/_lib/flash-cookie";
import { POST as teamsPost } from "@/app/admin/teams/actions/route";
import { POST as tokensPost } from "@/app/admin/tokens/actions/route";
import { findAccount } from "@/lib/auth/accounts";
import { listAudit, type AuditEntry } from "@/lib/auth/audit";
import { csrfTokenFor } from "@/lib/auth/csrf";
import { CLIENT_IP_HEADER, CLIENT_IP_SEAL_HEADER, createClientAddressSeal } from "@/lib/auth/request";
import { listTeams } from "@/lib/auth/teams";
import { listTokens, verifyToken } from "@/lib/auth/tokens";
import { newSession, sessionHeader } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

const ORIGIN = "http://localhost";
const IP = "203.0.113.7";
// As server.ts vouches for the address it stamps on each request.
const SEAL = createClientAddressSeal();
type Post = (request: Request) => Promise<Response>;

describe.each(PROVIDERS)("the admin forms on %s", (provider) => {
  const database = useProcessDatabase(provider);
  let admin: { accountId: number; username: string; cookie: string };
  let viewer: { cookie: string };

  beforeAll(async () => {
    admin = await newSession(database.db, "admin");
    viewer = await newSession(database.db, "viewer");
  });

  const post = (
    route: Post,
    fields: Record<string, string | string[]>,
    {
      cookie = admin.cookie,
      csrf,
      headers = {},
    }: { cookie?: string | null; csrf?: string; headers?: Record<string, string> } = {},
  ) => {
    const body = new URLSearchParams();
    body.set("csrf", csrf ?? (cookie ? csrfTokenFor(cookie) : ""));
    for (const [key, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(key, one);
    return route(
      new Request(`${ORIGIN}/admin/x/actions`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          host: "localhost",
          origin: ORIGIN,
          [CLIENT_IP_HEADER]: IP,
          [CLIENT_IP_SEAL_HEADER]: SEAL,
          ...(cookie ? sessionHeader(cookie) : {}),
          ...headers,
        },
        body: body.toString(),
      }),
    );
  };

  /** The outcome the redirect carries to the page, as the page will read it. */
  const flashOf = (res: Response, cookie = admin.cookie): Flash | null => {
    const sealed = new RegExp(`^${FLASH_COOKIE}=([^;]*)`).exec(res.headers.get("set-cookie") ?? "")?.[1];
    return openFlash(cookie, sealed);
  };
  const expectDone = (res: Response, page: string): Flash => {
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(page);
    const flash = flashOf(res)!;
    expect(flash, JSON.stringify(flash)).toMatchObject({ kind: "notice", page });
    return flash;
  };
  const expectError = (res: Response, page: string, message: RegExp) => {
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(page);
    expect(flashOf(res)).toMatchObject({ kind: "error", page, message: expect.stringMatching(message) });
  };
  const latestAudit = async (): Promise<AuditEntry> => (await listAudit(database.db, { pageSize: 1 })).entries[0];
  const expectAudit = async (action: string, target: string | RegExp) => {
    const entry = await latestAudit();
    expect(entry).toMatchObject({ action, actor: admin.username, ip: IP });
    expect(entry.target).toMatch(
      typeof target === "string" ? new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`) : target,
    );
  };

  it("creates an account, changes its role, resets its password, disables and enables it, each audited with the actor and address", async () => {
    const name = `sup-${provider}`;
    expectDone(
      await post(accountsPost, { op: "create", username: name, role: "viewer", password: "a long enough password" }),
      "/admin/accounts",
    );
    await expectAudit("account.create", name);
    const id = (await findAccount(database.db, name))!.id;

    expectDone(await post(accountsPost, { op: "role", id: String(id), role: "supervisor" }), "/admin/accounts");
    expect((await findAccount(database.db, id))!.role).toBe("supervisor");
    await expectAudit("account.role", name);

    expectDone(
      await post(accountsPost, { op: "password", id: String(id), password: "another long password" }),
      "/admin/accounts",
    );
    await expectAudit("account.password", name);

    expectDone(await post(accountsPost, { op: "disable", id: String(id) }), "/admin/accounts");
    expect((await findAccount(database.db, id))!.disabledAt).not.toBeNull();
    await expectAudit("account.disable", name);

    expectDone(await post(accountsPost, { op: "enable", id: String(id) }), "/admin/accounts");
    expect((await findAccount(database.db, id))!.disabledAt).toBeNull();
    await expectAudit("account.enable", name);
  });

  it("shows what went wrong on the page: a duplicate username, a short password, the last admin", async () => {
    expectError(
      await post(accountsPost, {
        op: "create",
        username: admin.username.toUpperCase(),
        role: "viewer",
        password: "a long enough password",
      }),
      "/admin/accounts",
      /already exists/,
    );
    expectError(
      await post(accountsPost, { op: "create", username: "shorty", role: "viewer", password: "short" }),
      "/admin/accounts",
      /at least 12 characters/,
    );
    expectError(
      await post(accountsPost, { op: "password", id: String(admin.accountId), password: "short" }),
      "/admin/accounts",
      /at least 12 characters/,
    );
    expectError(
      await post(accountsPost, { op: "role", id: "999999", role: "viewer" }),
      "/admin/accounts",
      /No such account/,
    );
    expectError(await post(accountsPost, { op: "bogus" }), "/admin/accounts", /Unknown action/);
    // Other admins may exist in this database (other tests): make this one the only active one.
    const { listAccounts } = await import("@/lib/auth/accounts");
    const others = (await listAccounts(database.db)).filter(
      (a) => a.role === "admin" && !a.disabledAt && a.id !== admin.accountId,
    );
    for (const other of others)
      expectDone(await post(accountsPost, { op: "disable", id: String(other.id) }), "/admin/accounts");
    const before = (await listAudit(database.db)).total;
    expectError(
      await post(accountsPost, { op: "disable", id: String(admin.accountId) }),
      "/admin/accounts",
      /only active admin/,
    );
    expectError(
      await post(accountsPost, { op: "role", id: String(admin.accountId), role: "viewer" }),
      "/admin/accounts",
      /only active admin/,
    );
    expect((await listAudit(database.db)).total).toBe(before);
  });

  it("creates a team, sets its members, limits a supervisor to it and deletes it, each audited", async () => {
    const team = `floor-${provider}`;
    expectDone(await post(teamsPost, { op: "create", name: team }), "/admin/teams");
    await expectAudit("team.create", team);
    const id = (await listTeams(database.db)).find((t) => t.name === team)!.id;
    expectError(await post(teamsPost, { op: "create", name: team }), "/admin/teams", /already exists/);

    expectDone(
      await post(teamsPost, { op: "members", id: String(id), members: "CORP\\Alice\r\n\r\n  bob  \nbob\n" }),
      "/admin/teams",
    );
    expect((await listTeams(database.db)).find((t) => t.id === id)!.userKeys).toEqual(["bob", "corp\\alice"]);
    await expectAudit("team.members", team);

    const supervisor = await newSession(database.db, "supervisor");
    const sid = String(supervisor.accountId);
    const scope = async () => {
      const { allEmployees, teamIds } = (await findAccount(database.db, supervisor.accountId))!;
      return { allEmployees, teamIds };
    };
    expectDone(
      await post(accountsPost, { op: "teams", id: sid, scope: "teams", team: [String(id)], back: "/admin/teams" }),
      "/admin/teams",
    );
    expect(await scope()).toEqual({ allEmployees: false, teamIds: [id] });
    await expectAudit("account.teams", supervisor.username);
    expect(
      expectDone(
        await post(accountsPost, { op: "teams", id: sid, scope: "teams", back: "https://evil.example/" }),
        "/admin/accounts",
      ).message,
    ).toBe(`${supervisor.username} has no teams: they see nobody.`);
    expect(await scope()).toEqual({ allEmployees: false, teamIds: [] });
    expect((await latestAudit()).details).toEqual({ from: [id], to: [], seesNobody: true });

    expect(
      expectDone(await post(accountsPost, { op: "teams", id: sid, scope: "all" }), "/admin/accounts").message,
    ).toBe(`${supervisor.username} now sees all employees.`);
    expect(await scope()).toEqual({ allEmployees: true, teamIds: [] });
    expect((await latestAudit()).details).toEqual({ from: [], to: "all" });
    // "All employees" is never the meaning of a form that left the choice out.
    const before = (await listAudit(database.db)).total;
    expectError(await post(accountsPost, { op: "teams", id: sid, team: [String(id)] }), "/admin/accounts", /Choose/);
    expect(await scope()).toEqual({ allEmployees: true, teamIds: [] });
    expect((await listAudit(database.db)).total).toBe(before);

    expectDone(
      await post(accountsPost, { op: "teams", id: sid, scope: "teams", team: [String(id)] }),
      "/admin/accounts",
    );
    expect(await scope()).toEqual({ allEmployees: false, teamIds: [id] });
    expect(expectDone(await post(teamsPost, { op: "delete", id: String(id) }), "/admin/teams").message).toBe(
      `Deleted team ${team}. ${supervisor.username} now has no teams and sees nobody.`,
    );
    expect((await listTeams(database.db)).some((t) => t.id === id)).toBe(false);
    expect(await scope()).toEqual({ allEmployees: false, teamIds: [] });
    const [scopeChange, deletion] = (await listAudit(database.db, { pageSize: 2 })).entries;
    expect(deletion).toMatchObject({ action: "team.delete", target: team, actor: admin.username, ip: IP });
    expect(scopeChange).toMatchObject({
      action: "account.teams",
      target: supervisor.username,
      actor: admin.username,
      ip: IP,
      details: { from: [id], to: [], deletedTeam: team, seesNobody: true },
    });
  });

  it("creates a supervisor seeing all employees, or nobody until given teams, as the form says", async () => {
    const create = (username: string, fields: Record<string, string>) =>
      post(accountsPost, { op: "create", username, role: "supervisor", password: "a long enough password", ...fields });
    expect(expectDone(await create(`all-${provider}`, { scope: "all" }), "/admin/accounts").message).toBe(
      `Created all-${provider} (supervisor).`,
    );
    expect((await findAccount(database.db, `all-${provider}`))!.allEmployees).toBe(true);
    expect(expectDone(await create(`none-${provider}`, { scope: "teams" }), "/admin/accounts").message).toMatch(
      /No teams: they see nobody/,
    );
    expect((await findAccount(database.db, `none-${provider}`))!).toMatchObject({ allEmployees: false, teamIds: [] });
    expectError(await create(`unsaid-${provider}`, {}), "/admin/accounts", /Choose/);
    expect(await findAccount(database.db, `unsaid-${provider}`)).toBeNull();
    // A viewer reads everything by role; the scope fields the form always sends mean nothing for them.
    expectDone(
      await post(accountsPost, {
        op: "create",
        username: `viewer-${provider}`,
        role: "viewer",
        password: "a long enough password",
        scope: "all",
      }),
      "/admin/accounts",
    );
    expect((await findAccount(database.db, `viewer-${provider}`))!.allEmployees).toBe(false);
  });

  it("creates a token shown once, sealed to this session, and revokes it, each audited", async () => {
    const res = await post(tokensPost, { op: "create", name: `fleet-${provider}`, scope: "ingest" });
    const flash = expectDone(res, "/admin/tokens");
    expect(flash.token).toMatch(/^wt_ingest_[A-Za-z0-9_-]{43}$/);
    // Sealed: the cookie holds no token in clear, and another session cannot open it.
    expect(res.headers.get("set-cookie")).not.toContain(flash.token!);
    expect(res.headers.get("set-cookie")).toMatch(/HttpOnly/);
    expect(res.headers.get("set-cookie")).toMatch(/Path=\/admin/);
    expect(flashOf(res, viewer.cookie)).toBeNull();
    await expectAudit("token.create", `fleet-${provider}`);
    expect((await verifyToken(database.db, flash.token, "ingest", "198.51.100.1")).ok).toBe(true);

    const info = (await listTokens(database.db)).find((t) => t.name === `fleet-${provider}`)!;
    expect(info.createdBy).toBe(admin.username);
    expectDone(await post(tokensPost, { op: "revoke", id: String(info.id) }), "/admin/tokens");
    await expectAudit("token.revoke", `fleet-${provider}`);
    expect((await verifyToken(database.db, flash.token, "ingest")).ok).toBe(false);
    expectError(await post(tokensPost, { op: "create", name: "x", scope: "admin" }), "/admin/tokens", /scope must be/);
  });

  it("refuses, changing nothing: a cross-site post, a wrong CSRF token, a viewer (403), no session (to sign-in)", async () => {
    const before = (await listAudit(database.db)).total;
    const fields = { op: "create", name: `refused-${provider}` };
    expect((await post(teamsPost, fields, { headers: { origin: "https://evil.example" } })).status).toBe(403);
    expect((await post(teamsPost, fields, { headers: { origin: "", "sec-fetch-site": "cross-site" } })).status).toBe(
      403,
    );
    expect((await post(teamsPost, fields, { csrf: "forged" })).status).toBe(403);
    expect((await post(teamsPost, fields, { csrf: csrfTokenFor(viewer.cookie) })).status).toBe(403);
    expect((await post(teamsPost, fields, { cookie: viewer.cookie })).status).toBe(403);
    const anonymous = await post(teamsPost, fields, { cookie: null });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/sign-in?next=%2Fadmin%2Fteams");
    expect((await listAudit(database.db)).total).toBe(before);
    expect((await listTeams(database.db)).some((t) => t.name === fields.name)).toBe(false);
  });
});
