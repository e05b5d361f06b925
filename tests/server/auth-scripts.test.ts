import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "@/lib/db";
import { signIn } from "@/lib/auth/sign-in";
import { listTokens, verifyToken } from "@/lib/auth/tokens";
import { listAudit } from "@/lib/auth/audit";
import { findAccount } from "@/lib/auth/accounts";
import { createTeam } from "@/lib/auth/teams";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { ROOT } from "../helpers/server";

const secretKey = "test-secret-key-0123456789abcdef";

function runScript(databaseUrl: string, script: string, args: string[], input?: string) {
  const result = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}`, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" },
    input: input ?? "",
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(PROVIDERS)("scripts/create-user.ts and create-token.ts on %s", (provider) => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    // The scripts migrate an empty database themselves.
    database = await createTestDatabase(provider);
    db = openDb(database.url);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("creates a user from --password, on a database it migrates first", async () => {
    const { code, stdout, stderr } = runScript(database.url, "create-user.ts", [
      "--username",
      "Alice",
      "--role",
      "admin",
      "--password",
      "alice's long password",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("Created admin account Alice");
    expect(stdout).not.toContain("alice's long password");
    const result = await signIn(db, { username: "alice", password: "alice's long password" }, { secretKey });
    expect(result).toMatchObject({ ok: true, account: { username: "Alice", role: "admin" } });
    expect((await listAudit(db)).entries[0]).toMatchObject({ actor: "cli", action: "account.create", target: "Alice" });
  });

  it("creates a user with the password read from stdin", async () => {
    const { code } = runScript(
      database.url,
      "create-user.ts",
      ["--username", "bob", "--role", "viewer"],
      "bob's long password\n",
    );
    expect(code).toBe(0);
    expect(await signIn(db, { username: "BOB", password: "bob's long password" }, { secretKey })).toMatchObject({
      ok: true,
      account: { role: "viewer" },
    });
  });

  it("fails with one line and exit 1 when the username is taken", () => {
    const { code, stderr } = runScript(database.url, "create-user.ts", [
      "--username",
      "ALICE",
      "--role",
      "viewer",
      "--password",
      "another long password",
    ]);
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      "Could not create the account: An account named ALICE already exists (usernames ignore letter case)",
    ]);
  });

  it("creates a token and prints it alone as the last line of stdout", async () => {
    const { code, stdout, stderr } = runScript(database.url, "create-token.ts", [
      "--scope",
      "ingest",
      "--name",
      "Floor 2 laptops",
    ]);
    expect(code).toBe(0);
    const token = stdout.trimEnd().split("\n").at(-1)!;
    expect(token).toMatch(/^wt_ingest_[A-Za-z0-9_-]{43}$/);
    expect(stderr).toContain("shown only now");
    expect(stderr).not.toContain(token);
    expect(await verifyToken(db, token, "ingest", "127.0.0.1")).toMatchObject({
      ok: true,
      token: { name: "Floor 2 laptops", createdBy: "cli" },
    });
    expect(await verifyToken(db, token, "read")).toMatchObject({ ok: false, status: 403 });
    expect((await listTokens(db)).map((t) => t.name)).toEqual(["Floor 2 laptops"]);
    expect((await listAudit(db)).entries[0]).toMatchObject({ actor: "cli", action: "token.create" });
  });

  it("creates a metrics token, which reads metrics and nothing else", async () => {
    const { code, stdout, stderr } = runScript(database.url, "create-token.ts", [
      "--scope",
      "metrics",
      "--name",
      "Prometheus",
    ]);
    expect(stderr).toContain("/api/metrics");
    expect(code).toBe(0);
    const token = stdout.trimEnd().split("\n").at(-1)!;
    expect(token).toMatch(/^wt_metrics_[A-Za-z0-9_-]{43}$/);
    expect(await verifyToken(db, token, "metrics")).toMatchObject({ ok: true, token: { scope: "metrics" } });
    expect(await verifyToken(db, token, "read")).toMatchObject({ ok: false, status: 403 });
    expect(await verifyToken(db, token, "ingest")).toMatchObject({ ok: false, status: 403 });
  });

  it("creates a supervisor seeing all employees, or only the teams named, and nothing for an unknown team", async () => {
    const password = "supervisor's long password";
    const run = (username: string, scope: string[]) =>
      runScript(database.url, "create-user.ts", [
        "--username",
        username,
        "--role",
        "supervisor",
        ...scope,
        "--password",
        password,
      ]);
    const all = run("Sup.All", ["--all-employees"]);
    expect(all).toMatchObject({ code: 0, stderr: "" });
    expect(all.stdout).toContain("Created supervisor account Sup.All (sees all employees)");
    expect(await findAccount(db, "sup.all")).toMatchObject({ allEmployees: true, teamIds: [] });

    const team = await createTeam(db, "Floor 2", { actor: "tests" });
    const limited = run("Sup.Floor", ["--team", "Floor 2"]);
    expect(limited).toMatchObject({ code: 0, stderr: "" });
    expect(await findAccount(db, "sup.floor")).toMatchObject({ allEmployees: false, teamIds: [team.id] });

    const unknown = run("Sup.Ghost", ["--team", "Floor 9"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("Could not create the account: No team named Floor 9; nothing was created");
    expect(await findAccount(db, "sup.ghost")).toBeNull();
  }, 120_000);
});

// Options are checked before the database is opened, so once is enough for both providers.
describe("scripts/create-user.ts and create-token.ts with bad options", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-script-options-"));
  const databaseFile = path.join(dir, "never.db");
  const databaseUrl = `file:${databaseFile}`;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses bad options with a clear line and exit code 2", () => {
    const cases: [string, string[], string, string?][] = [
      ["create-user.ts", ["--role", "admin", "--password", "long enough password"], "--username is required"],
      ["create-user.ts", ["--username", "carol"], "--role is required"],
      [
        "create-user.ts",
        ["--username", "carol", "--role", "owner", "--password", "long enough password"],
        'role must be "admin", "supervisor" or "viewer"',
      ],
      [
        "create-user.ts",
        ["--username", "carol", "--role", "viewer", "--password", "short"],
        "password must be at least 12 characters",
      ],
      ["create-user.ts", ["--username", "carol", "--role", "viewer"], "No password", ""],
      ["create-user.ts", ["--username", "carol", "--role", "viewer", "--bogus"], "Unknown option"],
      [
        "create-user.ts",
        ["--username", "carol", "--role", "supervisor", "--password", "long enough password"],
        "A supervisor needs either --all-employees or --team TEAM",
      ],
      [
        "create-user.ts",
        ["--username", "carol", "--role", "viewer", "--all-employees", "--password", "long enough password"],
        "--all-employees and --team are for supervisors",
      ],
      ["create-token.ts", ["--scope", "admin", "--name", "x"], 'scope must be "ingest", "read" or "metrics"'],
      ["create-token.ts", ["--scope", "read"], "--name is required"],
      ["create-token.ts", ["--scope", "read", "--name", "  "], "name must not be empty"],
      ["create-token.ts", ["--scope", "read", "--name", "x", "--extra"], "Unknown option"],
    ];
    for (const [script, args, message, input] of cases) {
      const { code, stdout, stderr } = runScript(databaseUrl, script, args, input);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toContain(message);
      expect(stdout).toBe("");
    }
    expect(existsSync(databaseFile), "the database was not touched").toBe(false);
  }, 120_000);
});

describe("scripts/create-token.ts when the database is unreachable", () => {
  it("fails with exit 1 and one line", () => {
    const { code, stdout, stderr } = runScript("postgresql://nobody:x@127.0.0.1:1/none", "create-token.ts", [
      "--scope",
      "read",
      "--name",
      "x",
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^Could not create the token: /);
  });
});
