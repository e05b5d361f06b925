import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import {
  assignTeams,
  changeRole,
  createAccount,
  disableAccount,
  enableAccount,
  ensureInitialAdmin,
  findAccount,
  listAccounts,
  setPassword,
} from "@/lib/auth/accounts";
import { listAudit, writeAudit } from "@/lib/auth/audit";
import { toAccountPrincipal, toTokenPrincipal, visibleUserKeys } from "@/lib/auth/principal";
import {
  accountKey,
  addressKey,
  checkAllowed,
  clearFailures,
  countAttempt,
  RATE_LIMITS,
  recordFailure,
} from "@/lib/auth/rate-limit";
import {
  createSession,
  endAllSessions,
  endSession,
  formatSessionCookie,
  readSession,
  SESSION_ABSOLUTE_MS,
  SESSION_COOKIE,
  SESSION_IDLE_MS,
  sessionCookieAttributes,
} from "@/lib/auth/sessions";
import { signIn } from "@/lib/auth/sign-in";
import { createTeam, deleteTeam, listTeams, setTeamMembers } from "@/lib/auth/teams";
import {
  createToken,
  listTokens,
  readBearerToken,
  revokeToken,
  verifyToken,
  VERIFIED_TOKEN_TTL_MS,
} from "@/lib/auth/tokens";
import { PROVIDERS, useMigratedDatabase } from "../helpers/databases";

const secretKey = "test-secret-key-0123456789abcdef";
const keyed = (now?: number) => ({ secretKey, now });
const cli = { actor: "cli" };
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const MINUTE = 60_000;
let counter = 0;
/** A password unique to each call, so the leak test can look for every one of them. */
const passwords: string[] = [];
const newPassword = () => {
  const password = `pass-${++counter}-${Math.random().toString(36).slice(2)}-word`;
  passwords.push(password);
  return password;
};

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe.each(PROVIDERS)("accounts and access on %s", (provider) => {
  const ctx = useMigratedDatabase(provider);
  const secrets: string[] = [];
  const remember = <T extends string>(secret: T): T => {
    secrets.push(secret);
    return secret;
  };
  async function newAccount(role: "admin" | "supervisor" | "viewer" = "viewer", username = `user${++counter}`) {
    const password = newPassword();
    const account = await createAccount(ctx.db, { username, role, password }, cli);
    return { account, password };
  }

  describe("accounts", () => {
    it("creates an account, found by id and by its username in any letter case, without its hash", async () => {
      const password = newPassword();
      const account = await createAccount(
        ctx.db,
        { username: "  Mia.Wong ", role: "supervisor", password },
        { actor: "root", ip: "10.1.1.1" },
      );
      expect(account).toMatchObject({
        username: "Mia.Wong",
        usernameKey: "mia.wong",
        role: "supervisor",
        disabledAt: null,
        allEmployees: false,
        teamIds: [],
      });
      expect(account).not.toHaveProperty("passwordHash");
      expect(account.passwordChangedAt.getTime()).toBe(account.createdAt.getTime());
      expect(await findAccount(ctx.db, account.id)).toEqual(account);
      expect(await findAccount(ctx.db, "MIA.WONG")).toEqual(account);
      expect(await findAccount(ctx.db, "nobody")).toBeNull();
      expect((await listAccounts(ctx.db)).map((a) => a.username)).toContain("Mia.Wong");
    });

    it("creates a supervisor seeing all employees or chosen teams, and gives no such scope to other roles", async () => {
      const team = await createTeam(ctx.db, "Created with", cli);
      const create = (username: string, role: "supervisor" | "viewer", scope?: "all" | number[]) =>
        createAccount(ctx.db, { username, role, password: newPassword(), ...(scope ? { scope } : {}) }, cli);
      expect(await create("Sup.All", "supervisor", "all")).toMatchObject({ allEmployees: true, teamIds: [] });
      expect(await create("Sup.Team", "supervisor", [team.id])).toMatchObject({
        allEmployees: false,
        teamIds: [team.id],
      });
      expect((await listAudit(ctx.db)).entries[0]).toMatchObject({
        action: "account.create",
        target: "Sup.Team",
        details: { role: "supervisor", scope: [team.id] },
      });
      expect((await rejection(create("View.All", "viewer", "all"))).status).toBe(400);
      expect((await rejection(create("Sup.Ghost", "supervisor", [999_999]))).status).toBe(404);
      expect(await findAccount(ctx.db, "Sup.Ghost")).toBeNull();
    });

    it("refuses a username already taken in another letter case with a 409", async () => {
      await newAccount("viewer", "Duplicate.Me");
      const error = await rejection(
        createAccount(ctx.db, { username: "DUPLICATE.me", role: "admin", password: newPassword() }, cli),
      );
      expect([error.status, error.code]).toEqual([409, "account_exists"]);
      expect((await listAccounts(ctx.db)).filter((a) => a.usernameKey === "duplicate.me")).toHaveLength(1);
    });

    it("refuses bad input with a 400 naming the field", async () => {
      const cases = [
        [{ username: "", role: "viewer", password: "long enough password" }, "username"],
        [{ username: "a\u0007b", role: "viewer", password: "long enough password" }, "username"],
        [{ username: "x".repeat(65), role: "viewer", password: "long enough password" }, "username"],
        [{ username: "ok-name", role: "owner", password: "long enough password" }, "role"],
        [{ username: "ok-name", role: "viewer", password: "short" }, "password"],
      ] as const;
      for (const [input, field] of cases) {
        const error = await rejection(createAccount(ctx.db, input as never, cli));
        expect(error.status).toBe(400);
        expect(error.details?.map((d) => d.field)).toEqual([field]);
      }
    });

    it("changes a role, and will not demote or disable the last active admin", async () => {
      const { account } = await newAccount("viewer");
      expect((await changeRole(ctx.db, account.id, "supervisor", cli)).role).toBe("supervisor");
      expect((await findAccount(ctx.db, account.id))?.role).toBe("supervisor");
      await rejection(changeRole(ctx.db, account.id, "owner" as never, cli));
      expect((await rejection(changeRole(ctx.db, 999_999, "viewer", cli))).status).toBe(404);

      const admins = (await listAccounts(ctx.db)).filter((a) => a.role === "admin" && !a.disabledAt);
      const { account: admin } = await newAccount("admin");
      for (const other of admins) await changeRole(ctx.db, other.id, "viewer", cli);
      expect((await rejection(changeRole(ctx.db, admin.id, "viewer", cli))).code).toBe("last_admin");
      expect((await rejection(disableAccount(ctx.db, admin.id, cli))).code).toBe("last_admin");
      const { account: second } = await newAccount("admin");
      expect((await disableAccount(ctx.db, admin.id, cli)).disabledAt).toBeInstanceOf(Date);
      await enableAccount(ctx.db, admin.id, cli);
      expect((await changeRole(ctx.db, second.id, "viewer", cli)).role).toBe("viewer");
    });

    it("disables and enables an account", async () => {
      const { account } = await newAccount();
      const disabled = await disableAccount(ctx.db, account.id, cli);
      expect(disabled.disabledAt).toBeInstanceOf(Date);
      expect(await disableAccount(ctx.db, account.id, cli)).toEqual(disabled);
      expect((await enableAccount(ctx.db, account.id, cli)).disabledAt).toBeNull();
    });

    it("deleting an account removes its sessions and team limits with it", async () => {
      const { account } = await newAccount("supervisor");
      const team = await createTeam(ctx.db, `Cascade ${counter}`, cli);
      await assignTeams(ctx.db, account.id, [team.id], cli);
      remember(await createSession(ctx.db, account.id, {}, keyed()));
      await ctx.db.prisma.account.delete({ where: { id: account.id } });
      expect(await ctx.db.prisma.session.count({ where: { accountId: account.id } })).toBe(0);
      expect(await ctx.db.prisma.accountTeam.count({ where: { accountId: account.id } })).toBe(0);
    });
  });

  describe("sessions", () => {
    it("round-trips: the cookie reads back as the account, and only the secret's hash is stored", async () => {
      const { account } = await newAccount("viewer");
      const cookie = remember(
        await createSession(ctx.db, account.id, { ip: "192.0.2.4", userAgent: "Firefox" }, keyed()),
      );
      expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
      const signedIn = await readSession(ctx.db, cookie, keyed());
      expect(signedIn?.account).toEqual(account);
      expect(signedIn?.session).toMatchObject({
        id: sha256(cookie.split(".")[0]),
        accountId: account.id,
        ip: "192.0.2.4",
        userAgent: "Firefox",
      });
      expect(signedIn!.session.expiresAt.getTime() - signedIn!.session.createdAt.getTime()).toBe(SESSION_IDLE_MS);
      expect(await ctx.db.prisma.session.count({ where: { id: cookie.split(".")[0] } })).toBe(0);
    });

    it("rejects a tampered, forged, re-keyed or malformed cookie", async () => {
      const { account } = await newAccount();
      const cookie = remember(await createSession(ctx.db, account.id, {}, keyed()));
      const [secret, mac] = cookie.split(".");
      const flip = (text: string) => `${text.slice(0, 5)}${text[5] === "A" ? "B" : "A"}${text.slice(6)}`;
      for (const bad of [
        `${flip(secret)}.${mac}`,
        `${secret}.${flip(mac)}`,
        `${secret}.`,
        secret,
        `${cookie}.x`,
        "",
        "a.b",
        null,
        undefined,
      ]) {
        expect(await readSession(ctx.db, bad, keyed())).toBeNull();
      }
      expect(await readSession(ctx.db, cookie, { secretKey: "another-key-0123456789abcdef" })).toBeNull();
      expect(await readSession(ctx.db, cookie, keyed())).not.toBeNull();
    });

    it("accepts only the canonical spelling of the cookie's MAC", async () => {
      const { account } = await newAccount();
      const cookie = remember(await createSession(ctx.db, account.id, {}, keyed()));
      const [secret, mac] = cookie.split(".");
      // 32 bytes take 43 base64url characters; the last one's two low bits carry nothing, so
      // these spellings decode to the very same bytes as the real MAC.
      const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const last = ALPHABET.indexOf(mac.at(-1)!);
      const twins = [1, 2, 3].map((bits) => `${mac.slice(0, -1)}${ALPHABET[last ^ bits]}`);
      for (const twin of twins) {
        expect(Buffer.from(twin, "base64url")).toEqual(Buffer.from(mac, "base64url"));
        expect(await readSession(ctx.db, `${secret}.${twin}`, keyed()), twin).toBeNull();
      }
      expect(await readSession(ctx.db, cookie, keyed())).not.toBeNull();
    });

    it("expires after 12 idle hours, slides with use, and ends 7 days after sign-in regardless", async () => {
      const { account } = await newAccount();
      const start = Date.now();
      const idle = remember(await createSession(ctx.db, account.id, {}, keyed(start)));
      expect(await readSession(ctx.db, idle, keyed(start + SESSION_IDLE_MS - MINUTE))).not.toBeNull();
      // That read slid the expiry forward: 12 more hours from then.
      expect(await readSession(ctx.db, idle, keyed(start + 2 * SESSION_IDLE_MS - 2 * MINUTE))).not.toBeNull();
      expect(await readSession(ctx.db, idle, keyed(start + 4 * SESSION_IDLE_MS))).toBeNull();
      expect(await readSession(ctx.db, idle, keyed(start))).toBeNull(); // and its row is gone

      const busy = remember(await createSession(ctx.db, account.id, {}, keyed(start)));
      let at = start;
      while (at + SESSION_IDLE_MS / 2 < start + SESSION_ABSOLUTE_MS) {
        at += SESSION_IDLE_MS / 2;
        expect(await readSession(ctx.db, busy, keyed(at))).not.toBeNull();
      }
      expect(await readSession(ctx.db, busy, keyed(start + SESSION_ABSOLUTE_MS + 1))).toBeNull();
    });

    it("records the last use at most once a minute", async () => {
      const { account } = await newAccount();
      const start = Date.now();
      const cookie = remember(await createSession(ctx.db, account.id, {}, keyed(start)));
      const lastSeen = async () =>
        (await ctx.db.prisma.session.findFirst({ where: { accountId: account.id } }))!.lastSeenAt.getTime();
      await readSession(ctx.db, cookie, keyed(start + 30_000));
      expect(await lastSeen()).toBe(start);
      await readSession(ctx.db, cookie, keyed(start + 61_000));
      expect(await lastSeen()).toBe(start + 61_000);
    });

    it("ends every session of an account on a password change and on disabling", async () => {
      const { account, password } = await newAccount("supervisor");
      const first = remember(await createSession(ctx.db, account.id, {}, keyed()));
      const second = remember(await createSession(ctx.db, account.id, {}, keyed()));
      const changed = newPassword();
      const updated = await setPassword(ctx.db, account.id, changed, cli);
      expect(updated.passwordChangedAt.getTime()).toBeGreaterThan(account.passwordChangedAt.getTime() - 1);
      expect(await readSession(ctx.db, first, keyed())).toBeNull();
      expect(await readSession(ctx.db, second, keyed())).toBeNull();
      expect((await signIn(ctx.db, { username: account.username, password }, keyed())).ok).toBe(false);

      const signedIn = await signIn(ctx.db, { username: account.username, password: changed }, keyed());
      expect(signedIn.ok).toBe(true);
      const cookie = remember((signedIn as { cookie: string }).cookie);
      expect(await readSession(ctx.db, cookie, keyed())).not.toBeNull();
      await disableAccount(ctx.db, account.id, cli);
      expect(await readSession(ctx.db, cookie, keyed())).toBeNull();
      expect(await signIn(ctx.db, { username: account.username, password: changed }, keyed())).toEqual({
        ok: false,
        reason: "invalid",
      });
    });

    it("rejects a session of an account disabled behind its back", async () => {
      const { account } = await newAccount();
      const cookie = remember(await createSession(ctx.db, account.id, {}, keyed()));
      await ctx.db.prisma.account.update({ where: { id: account.id }, data: { disabledAt: new Date() } });
      expect(await readSession(ctx.db, cookie, keyed())).toBeNull();
    });

    it("ends one session on sign-out, and all of them on request", async () => {
      const { account } = await newAccount();
      const [a, b, c] = [
        remember(await createSession(ctx.db, account.id, {}, keyed())),
        remember(await createSession(ctx.db, account.id, {}, keyed())),
        remember(await createSession(ctx.db, account.id, {}, keyed())),
      ];
      expect(await endSession(ctx.db, `${a.split(".")[0]}.${"A".repeat(43)}`, keyed())).toBe(false);
      expect(await endSession(ctx.db, a, keyed())).toBe(true);
      expect(await readSession(ctx.db, a, keyed())).toBeNull();
      expect(await readSession(ctx.db, b, keyed())).not.toBeNull();
      expect(await endAllSessions(ctx.db, account.id)).toBe(2);
      expect(await readSession(ctx.db, c, keyed())).toBeNull();
    });

    it("describes the cookie: httpOnly, SameSite=Lax, Path=/, Secure when asked", () => {
      expect(sessionCookieAttributes({ secure: true })).toEqual({
        httpOnly: true,
        sameSite: "lax",
        secure: true,
        path: "/",
        maxAge: 7 * 24 * 3600,
      });
      expect(sessionCookieAttributes({ secure: false }).secure).toBe(false);
      expect(formatSessionCookie("v.m", { secure: true })).toBe(
        `${SESSION_COOKIE}=v.m; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax; Secure`,
      );
      expect(formatSessionCookie(null, { secure: false })).toBe(
        `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`,
      );
    });
  });

  describe("API tokens", () => {
    it("shows the token once; the database keeps only its hash and a short prefix", async () => {
      const { token, info } = await createToken(
        ctx.db,
        { name: "Floor 2 laptops", scope: "ingest", createdBy: "admin1" },
        { ip: "10.0.0.1" },
      );
      remember(token);
      expect(token).toMatch(/^wt_ingest_[A-Za-z0-9_-]{43}$/);
      expect(info).toMatchObject({
        name: "Floor 2 laptops",
        scope: "ingest",
        createdBy: "admin1",
        revokedAt: null,
        lastUsedAt: null,
      });
      expect(token.startsWith(info.prefix)).toBe(true);
      expect(info.prefix.length).toBeLessThan(20);
      const row = await ctx.db.prisma.apiToken.findUniqueOrThrow({ where: { id: info.id } });
      expect(row.tokenHash).toBe(sha256(token));
      expect(JSON.stringify(row)).not.toContain(token.slice(info.prefix.length));
      expect(await listTokens(ctx.db)).toContainEqual(info);
      expect(JSON.stringify(await listTokens(ctx.db))).not.toContain(row.tokenHash);
    });

    it("accepts the right scope, answers 403 for the other and 401 for unknown, malformed or revoked tokens", async () => {
      const ingest = remember((await createToken(ctx.db, { name: "agents", scope: "ingest", createdBy: "cli" })).token);
      const read = await createToken(ctx.db, { name: "payroll", scope: "read", createdBy: "cli" });
      remember(read.token);
      expect(await verifyToken(ctx.db, ingest, "ingest")).toMatchObject({
        ok: true,
        token: { name: "agents", scope: "ingest" },
      });
      expect(await verifyToken(ctx.db, read.token, "read")).toMatchObject({ ok: true, token: { name: "payroll" } });
      expect(await verifyToken(ctx.db, ingest, "read")).toMatchObject({
        ok: false,
        status: 403,
        reason: "wrong_scope",
      });
      expect(await verifyToken(ctx.db, read.token, "ingest")).toMatchObject({ ok: false, status: 403 });
      expect(await verifyToken(ctx.db, `wt_read_${"x".repeat(43)}`, "read")).toEqual({
        ok: false,
        status: 401,
        reason: "unknown",
      });
      for (const bad of [
        "",
        null,
        "wt_read_short",
        `Bearer ${read.token}`,
        `${read.token}x`,
        `wt_admin_${"x".repeat(43)}`,
      ]) {
        expect(await verifyToken(ctx.db, bad, "read")).toEqual({ ok: false, status: 401, reason: "malformed" });
      }
      const revoked = await revokeToken(ctx.db, read.info.id, { actor: "admin1", ip: "10.0.0.2" });
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      expect(await revokeToken(ctx.db, read.info.id, cli)).toEqual(revoked);
      expect(await verifyToken(ctx.db, read.token, "read")).toEqual({ ok: false, status: 401, reason: "revoked" });
      expect((await rejection(revokeToken(ctx.db, 999_999, cli))).status).toBe(404);
    });

    it("sees a revocation made elsewhere (another instance) within the verified-token lifetime", async () => {
      const { token, info } = await createToken(ctx.db, { name: "elsewhere", scope: "ingest", createdBy: "cli" });
      remember(token);
      const start = Date.now();
      expect((await verifyToken(ctx.db, token, "ingest", null, { now: start })).ok).toBe(true);
      await ctx.db.prisma.apiToken.update({ where: { id: info.id }, data: { revokedAt: new Date(start) } });
      expect((await verifyToken(ctx.db, token, "ingest", null, { now: start + 1_000 })).ok).toBe(true);
      expect(await verifyToken(ctx.db, token, "ingest", null, { now: start + VERIFIED_TOKEN_TTL_MS + 1 })).toEqual({
        ok: false,
        status: 401,
        reason: "revoked",
      });
    });

    it("records the time and address of the last use, at most once a minute", async () => {
      const { token, info } = await createToken(ctx.db, { name: "kiosk", scope: "ingest", createdBy: "cli" });
      remember(token);
      const start = Date.now();
      const stored = async () => (await listTokens(ctx.db)).find((t) => t.id === info.id)!;
      await verifyToken(ctx.db, token, "ingest", "198.51.100.7", { now: start });
      expect(await stored()).toMatchObject({ lastUsedAt: new Date(start), lastUsedIp: "198.51.100.7" });
      await verifyToken(ctx.db, token, "ingest", "198.51.100.8", { now: start + 30_000 });
      expect((await stored()).lastUsedIp).toBe("198.51.100.7");
      await verifyToken(ctx.db, token, "ingest", "198.51.100.9", { now: start + 61_000 });
      expect(await stored()).toMatchObject({ lastUsedAt: new Date(start + 61_000), lastUsedIp: "198.51.100.9" });
      // A request for the wrong scope is not a use.
      await verifyToken(ctx.db, token, "read", "203.0.113.1", { now: start + 10 * MINUTE });
      expect((await stored()).lastUsedIp).toBe("198.51.100.9");
    });

    it("reads the token from an Authorization header", () => {
      expect(readBearerToken("Bearer wt_read_abc")).toBe("wt_read_abc");
      expect(readBearerToken("bearer  wt_read_abc ")).toBe("wt_read_abc");
      for (const header of [null, undefined, "", "Basic abc", "Bearer", "Bearer a b"])
        expect(readBearerToken(header)).toBeNull();
    });

    it("refuses a token without a name or with an unknown scope", async () => {
      expect((await rejection(createToken(ctx.db, { name: " ", scope: "read", createdBy: "cli" }))).status).toBe(400);
      expect(
        (await rejection(createToken(ctx.db, { name: "x", scope: "admin" as never, createdBy: "cli" }))).status,
      ).toBe(400);
    });
  });

  describe("sign-in rate limits", () => {
    it("locks an account after 5 failures in 15 minutes, with a retry-after; a success afterwards clears it", async () => {
      const { account, password } = await newAccount();
      const start = Date.now() + MINUTE;
      const attempt = (pw: string, at: number) =>
        signIn(ctx.db, { username: account.username.toUpperCase(), password: pw, ip: "203.0.113.5" }, keyed(at));
      for (let i = 0; i < 4; i++)
        expect(await attempt("wrong password!", start + i * 1000)).toEqual({ ok: false, reason: "invalid" });
      expect(await attempt("wrong password!", start + 4000)).toEqual({
        ok: false,
        reason: "locked",
        retryAfterSeconds: 15 * 60,
      });
      // Locked even for the right password, from any address.
      const locked = await signIn(
        ctx.db,
        { username: account.username, password, ip: "203.0.113.99" },
        keyed(start + 5 * MINUTE),
      );
      expect(locked).toEqual({ ok: false, reason: "locked", retryAfterSeconds: 10 * 60 + 4 });
      expect(await checkAllowed(ctx.db, [accountKey(account.usernameKey)], start + 5 * MINUTE)).toEqual({
        allowed: false,
        retryAfterSeconds: 604,
      });

      const after = start + 4000 + 15 * MINUTE;
      const ok = await attempt(password, after);
      expect(ok).toMatchObject({ ok: true, account: { id: account.id } });
      remember((ok as { cookie: string }).cookie);
      expect(
        await ctx.db.prisma.signInFailure.findUnique({ where: { key: accountKey(account.usernameKey) } }),
      ).toBeNull();
      for (let i = 0; i < 4; i++)
        expect(await attempt("wrong password!", after + 1000 + i)).toEqual({ ok: false, reason: "invalid" });
    });

    it("starts counting again once the window has passed", async () => {
      const key = accountKey(`window-${++counter}`);
      const start = Date.now();
      const count = async (of = key) => (await ctx.db.prisma.signInFailure.findUnique({ where: { key: of } }))?.count;
      const fail = async (at: number) => {
        expect(await countAttempt(ctx.db, [key], at)).toEqual({ allowed: true });
        expect(await count(`pending:${key}`)).toBe(1);
        await recordFailure(ctx.db, [key], at);
        expect(await count(`pending:${key}`)).toBe(0);
      };
      for (let i = 0; i < 4; i++) {
        await fail(start + i);
        expect(await count()).toBe(i + 1);
      }
      await fail(start + RATE_LIMITS.account.windowMs + 1);
      expect(await count()).toBe(1);
      await clearFailures(ctx.db, key);
      expect(await ctx.db.prisma.signInFailure.count({ where: { key } })).toBe(0);
    });

    it("counts failures for unknown usernames too, and locks an address after 20", async () => {
      const ip = "198.51.100.200";
      const start = Date.now() + MINUTE;
      for (let i = 0; i < 19; i++) {
        expect(
          await signIn(ctx.db, { username: `ghost${i}`, password: "whatever password", ip }, keyed(start + i)),
        ).toEqual({ ok: false, reason: "invalid" });
      }
      expect(
        await signIn(ctx.db, { username: "ghost19", password: "whatever password", ip }, keyed(start + 19)),
      ).toMatchObject({ ok: false, reason: "locked" });
      const { account, password } = await newAccount();
      expect(await signIn(ctx.db, { username: account.username, password, ip }, keyed(start + 20))).toMatchObject({
        ok: false,
        reason: "locked",
      });
      expect(await checkAllowed(ctx.db, [addressKey(ip)], start + 20)).toEqual({
        allowed: false,
        retryAfterSeconds: 900,
      });
      const elsewhere = await signIn(
        ctx.db,
        { username: account.username, password, ip: "198.51.100.201" },
        keyed(start + 20),
      );
      expect(elsewhere.ok).toBe(true);
      remember((elsewhere as { cookie: string }).cookie);
    });
  });

  describe("who may see whom", () => {
    it("limits a supervisor to their teams' members, nobody without teams, everyone only when given all employees", async () => {
      const teamA = await createTeam(ctx.db, "Team A", cli);
      const teamB = await createTeam(ctx.db, "Team B", cli);
      const empty = await createTeam(ctx.db, "Nobody yet", cli);
      expect((await rejection(createTeam(ctx.db, "Team A", cli))).status).toBe(409);
      await setTeamMembers(ctx.db, teamA.id, ["CORP\\Ana", "ben", "corp\\ana"], cli);
      expect((await setTeamMembers(ctx.db, teamB.id, ["Cara"], cli)).userKeys).toEqual(["cara"]);
      expect((await listTeams(ctx.db)).find((t) => t.id === teamA.id)?.userKeys).toEqual(["ben", "corp\\ana"]);

      const { account: supervisor } = await newAccount("supervisor");
      const sees = async (id: number) => visibleUserKeys(ctx.db, toAccountPrincipal((await findAccount(ctx.db, id))!));
      expect(await sees(supervisor.id)).toEqual(new Set());
      expect((await assignTeams(ctx.db, supervisor.id, "all", cli)).allEmployees).toBe(true);
      expect(await sees(supervisor.id)).toBeNull();
      expect(await assignTeams(ctx.db, supervisor.id, [teamA.id], cli)).toMatchObject({
        allEmployees: false,
        teamIds: [teamA.id],
      });
      expect(await sees(supervisor.id)).toEqual(new Set(["corp\\ana", "ben"]));
      await assignTeams(ctx.db, supervisor.id, [teamB.id, teamA.id, teamB.id], cli);
      expect(await sees(supervisor.id)).toEqual(new Set(["corp\\ana", "ben", "cara"]));
      await assignTeams(ctx.db, supervisor.id, [empty.id], cli);
      expect(await sees(supervisor.id)).toEqual(new Set());
      expect((await rejection(assignTeams(ctx.db, supervisor.id, [999_999], cli))).status).toBe(404);

      // Teams given to a viewer or an admin do not limit them.
      const { account: viewer } = await newAccount("viewer");
      await assignTeams(ctx.db, viewer.id, [teamA.id], cli);
      expect(await sees(viewer.id)).toBeNull();
      const { account: admin } = await newAccount("admin");
      await assignTeams(ctx.db, admin.id, [teamA.id], cli);
      expect(await sees(admin.id)).toBeNull();

      const read = await createToken(ctx.db, { name: "bi", scope: "read", createdBy: "cli" });
      const ingest = await createToken(ctx.db, { name: "fleet", scope: "ingest", createdBy: "cli" });
      remember(read.token);
      remember(ingest.token);
      expect(await visibleUserKeys(ctx.db, toTokenPrincipal(read.info))).toBeNull();
      expect(await visibleUserKeys(ctx.db, toTokenPrincipal(ingest.info))).toEqual(new Set());

      // Deleting a team removes it from the supervisors limited to it.
      await assignTeams(ctx.db, supervisor.id, [teamA.id, empty.id], cli);
      await deleteTeam(ctx.db, empty.id, cli);
      expect((await findAccount(ctx.db, supervisor.id))?.teamIds).toEqual([teamA.id]);
      expect(await sees(supervisor.id)).toEqual(new Set(["corp\\ana", "ben"]));
      // ...and deleting the last one leaves them seeing nobody, never everyone.
      expect(await deleteTeam(ctx.db, teamA.id, cli)).toMatchObject({
        supervisors: [{ username: supervisor.username, seesNobody: true }],
      });
      expect(await sees(supervisor.id)).toEqual(new Set());
    });
  });

  describe("the audit log", () => {
    it("records admin actions with actor, action, target, details and address, newest first", async () => {
      const { account } = await newAccount("viewer", "Audited.One");
      await changeRole(ctx.db, account.id, "supervisor", { actor: "boss", ip: "192.0.2.50" });
      await setPassword(ctx.db, account.id, newPassword(), { actor: "boss", ip: "192.0.2.50" });
      await disableAccount(ctx.db, account.id, { actor: "boss", ip: "192.0.2.51" });
      const { entries, total, page, pageSize } = await listAudit(ctx.db, { page: 1, pageSize: 3 });
      expect([page, pageSize]).toEqual([1, 3]);
      expect(total).toBeGreaterThan(3);
      expect(entries.map((e) => [e.actor, e.action, e.target, e.ip])).toEqual([
        ["boss", "account.disable", "Audited.One", "192.0.2.51"],
        ["boss", "account.password", "Audited.One", "192.0.2.50"],
        ["boss", "account.role", "Audited.One", "192.0.2.50"],
      ]);
      expect(entries[2].details).toEqual({ from: "viewer", to: "supervisor" });
      const next = await listAudit(ctx.db, { page: 2, pageSize: 3 });
      expect(next.entries[0]).toMatchObject({
        action: "account.create",
        target: "Audited.One",
        actor: "cli",
        details: { role: "viewer" },
      });
      const actions = new Set((await listAudit(ctx.db, { pageSize: 500 })).entries.map((e) => e.action));
      for (const action of [
        "account.create",
        "account.role",
        "account.password",
        "account.disable",
        "account.enable",
        "account.teams",
        "team.create",
        "team.delete",
        "team.members",
        "token.create",
        "token.revoke",
      ]) {
        expect(actions).toContain(action);
      }
      await writeAudit(ctx.db, { actor: "someone", action: "team.create", target: "x" });
      expect((await listAudit(ctx.db, { pageSize: 1 })).entries[0]).toMatchObject({
        actor: "someone",
        details: null,
        ip: null,
      });
    });
  });

  it("keeps no password, token or session secret in clear anywhere in the database", async () => {
    const tables =
      provider === "sqlite"
        ? await ctx.db.raw.query<{ name: string }>(
            `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
          )
        : await ctx.db.raw.query<{ name: string }>(
            `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
          );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(["accounts", "sessions", "api_tokens", "audit_log", "sign_in_failures"]),
    );
    let text = "";
    for (const { name } of tables) text += JSON.stringify(await ctx.db.raw.query(`SELECT * FROM "${name}"`));
    expect(await ctx.db.prisma.session.count()).toBeGreaterThan(0);
    expect(await ctx.db.prisma.apiToken.count()).toBeGreaterThan(3);
    expect(passwords.length).toBeGreaterThan(10);
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of [
      ...passwords,
      ...secrets.flatMap((s) => [s, ...s.split(".")]),
      ...secrets.map((s) => s.replace(/^wt_\w+?_/, "")),
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe.each(PROVIDERS)("the first admin on %s", (provider) => {
  const ctx = useMigratedDatabase(provider);

  it("is created from the settings only when there is no account at all", async () => {
    expect(await ensureInitialAdmin(ctx.db, { username: "root" })).toBeNull();
    expect(await ensureInitialAdmin(ctx.db, {})).toBeNull();
    const [first, racing] = await Promise.all([
      ensureInitialAdmin(ctx.db, { username: "Root", password: "first admin password" }),
      ensureInitialAdmin(ctx.db, { username: "ROOT", password: "first admin password" }),
    ]);
    const created = first ?? racing;
    expect(created).toMatchObject({ username: expect.stringMatching(/^root$/i), role: "admin" });
    expect(await listAccounts(ctx.db)).toHaveLength(1);
    expect(await ensureInitialAdmin(ctx.db, { username: "other", password: "another admin password" })).toBeNull();
    expect(await listAccounts(ctx.db)).toHaveLength(1);
    const signedIn = await signIn(ctx.db, { username: "root", password: "first admin password" }, keyed());
    expect(signedIn.ok).toBe(true);
    expect((await listAudit(ctx.db)).entries).toMatchObject([
      { actor: "startup", action: "account.create", details: { role: "admin" } },
    ]);
  });

  it("is refused with a clear error when the configured password is too short", async () => {
    await ctx.db.prisma.account.deleteMany();
    const error = await rejection(ensureInitialAdmin(ctx.db, { username: "root", password: "short" }));
    expect(error.message).toBe("password must be at least 12 characters");
  });
});
