import { invalidSetting } from "../config.ts";
import { AppError, badRequest, notFound } from "../errors.ts";
import type { Db, Transaction } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import { writeAudit, type AuditContext } from "./audit.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../db/errors.ts";
import { hashPassword } from "./passwords.ts";
import { accountInputSchema, accountUsernameSchema, roleSchema, type AccountInput, type Role } from "./schemas.ts";
import { parseInput } from "../errors.ts";

/** An account as the rest of the server sees it: never with its password hash. */
export type Account = {
  id: number;
  /** As typed when it was created. */
  username: string;
  /** Case-folded, as employees' user keys are: sign-in compares this. */
  usernameKey: string;
  role: Role;
  disabledAt: Date | null;
  createdAt: Date;
  passwordChangedAt: Date;
  /** A supervisor who sees every employee (an explicit setting; admins and viewers see all by role). */
  allEmployees: boolean;
  /** The teams a supervisor is limited to unless allEmployees; none means nobody. */
  teamIds: number[];
};

/** Whom a supervisor sees: every employee, or the members of these teams (none: nobody). */
export type Scope = "all" | number[];

const scopeOf = (account: Pick<Account, "allEmployees" | "teamIds">): Scope =>
  account.allEmployees ? "all" : account.teamIds;

/** A supervisor limited to teams who has none left: they see nobody. */
export const seesNobody = (account: Pick<Account, "role" | "allEmployees" | "teamIds">) =>
  account.role === "supervisor" && !account.allEmployees && account.teamIds.length === 0;

export const ACCOUNT_SELECT = {
  id: true,
  username: true,
  usernameKey: true,
  role: true,
  disabledAt: true,
  createdAt: true,
  passwordChangedAt: true,
  allEmployees: true,
  teams: { select: { teamId: true }, orderBy: { teamId: "asc" } },
} as const;

type AccountRow = {
  id: number;
  username: string;
  usernameKey: string;
  role: string;
  disabledAt: Date | null;
  createdAt: Date;
  passwordChangedAt: Date;
  allEmployees: boolean;
  teams: { teamId: number }[];
};

export function toAccount({ teams, role, ...row }: AccountRow): Account {
  return { ...row, role: role as Role, teamIds: teams.map((team) => team.teamId) };
}

const accountNotFound = () => notFound("No such account");

/** Creates an account; a username already taken, in any letter case, is a 409. */
/**
 * Creates an account; a username already taken, in any letter case, is a 409. A supervisor
 * sees whom `scope` says, nobody without one; only a supervisor may be given a scope.
 */
export async function createAccount(db: Db, input: AccountInput, context: AuditContext): Promise<Account> {
  const { username, role, password, scope } = parseInput(accountInputSchema, input);
  if (scope !== undefined && role !== "supervisor")
    throw badRequest("invalid_input", "Only a supervisor is limited to teams or given all employees", [
      { field: "scope", message: "Only a supervisor is limited to teams or given all employees" },
    ]);
  const teamIds = Array.isArray(scope) ? [...new Set(scope)].sort((a, b) => a - b) : [];
  const passwordHash = await hashPassword(password);
  const now = new Date();
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.account.create({
        data: {
          username,
          usernameKey: toUserKey(username),
          passwordHash,
          role,
          allEmployees: scope === "all",
          createdAt: now,
          passwordChangedAt: now,
        },
        select: ACCOUNT_SELECT,
      });
      if (teamIds.length)
        await tx.accountTeam.createMany({ data: teamIds.map((teamId) => ({ accountId: row.id, teamId })) });
      const details = role === "supervisor" ? { role, scope: scope === "all" ? "all" : teamIds } : { role };
      await writeAudit(tx, { ...context, action: "account.create", target: username, details, at: now });
      return toAccount({ ...row, teams: teamIds.map((teamId) => ({ teamId })) });
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw notFound("One of those teams does not exist");
    if (isUniqueViolation(error))
      throw new AppError(
        409,
        "account_exists",
        `An account named ${username} already exists (usernames ignore letter case)`,
      );
    throw error;
  }
}

/** An account by id, or by username in any letter case. */
export async function findAccount(db: Db, ref: number | string): Promise<Account | null> {
  const where = typeof ref === "number" ? { id: ref } : { usernameKey: toUserKey(ref) };
  const row = await db.prisma.account.findUnique({ where, select: ACCOUNT_SELECT });
  return row ? toAccount(row) : null;
}

export async function listAccounts(db: Db): Promise<Account[]> {
  const rows = await db.prisma.account.findMany({ select: ACCOUNT_SELECT, orderBy: { usernameKey: "asc" } });
  return rows.map(toAccount);
}

async function loadForUpdate(tx: Transaction, id: number): Promise<AccountRow> {
  const row = await tx.account.findUnique({ where: { id }, select: ACCOUNT_SELECT });
  if (!row) throw accountNotFound();
  return row;
}

// Nobody could administer the server any more: refuse rather than lock everyone out.
async function keepAnAdmin(tx: Transaction, row: AccountRow): Promise<void> {
  if (row.role !== "admin" || row.disabledAt) return;
  const others = await tx.account.count({ where: { role: "admin", disabledAt: null, id: { not: row.id } } });
  if (others === 0)
    throw new AppError(409, "last_admin", "This is the only active admin: make another account admin first");
}

export async function changeRole(db: Db, id: number, role: Role, context: AuditContext): Promise<Account> {
  const wanted = parseInput(roleSchema, role);
  return db.prisma.$transaction(async (tx) => {
    const row = await loadForUpdate(tx, id);
    if (row.role === wanted) return toAccount(row);
    if (wanted !== "admin") await keepAnAdmin(tx, row);
    const updated = await tx.account.update({ where: { id }, data: { role: wanted }, select: ACCOUNT_SELECT });
    await writeAudit(tx, {
      ...context,
      action: "account.role",
      target: row.username,
      details: { from: row.role, to: wanted },
    });
    return toAccount(updated);
  });
}

/** Replaces the password and ends every session of the account, wherever it is signed in. */
export async function setPassword(db: Db, id: number, password: string, context: AuditContext): Promise<Account> {
  const passwordHash = await hashPassword(password);
  return db.prisma.$transaction(async (tx) => {
    const row = await loadForUpdate(tx, id);
    const updated = await tx.account.update({
      where: { id },
      data: { passwordHash, passwordChangedAt: new Date() },
      select: ACCOUNT_SELECT,
    });
    const { count } = await tx.session.deleteMany({ where: { accountId: id } });
    await writeAudit(tx, {
      ...context,
      action: "account.password",
      target: row.username,
      details: { sessionsEnded: count },
    });
    return toAccount(updated);
  });
}

/** Disables the account and ends its sessions; its history and audit entries stay. */
export async function disableAccount(db: Db, id: number, context: AuditContext): Promise<Account> {
  return db.prisma.$transaction(async (tx) => {
    const row = await loadForUpdate(tx, id);
    if (row.disabledAt) return toAccount(row);
    await keepAnAdmin(tx, row);
    const updated = await tx.account.update({
      where: { id },
      data: { disabledAt: new Date() },
      select: ACCOUNT_SELECT,
    });
    const { count } = await tx.session.deleteMany({ where: { accountId: id } });
    await writeAudit(tx, {
      ...context,
      action: "account.disable",
      target: row.username,
      details: { sessionsEnded: count },
    });
    return toAccount(updated);
  });
}

export async function enableAccount(db: Db, id: number, context: AuditContext): Promise<Account> {
  return db.prisma.$transaction(async (tx) => {
    const row = await loadForUpdate(tx, id);
    if (!row.disabledAt) return toAccount(row);
    const updated = await tx.account.update({ where: { id }, data: { disabledAt: null }, select: ACCOUNT_SELECT });
    await writeAudit(tx, { ...context, action: "account.enable", target: row.username });
    return toAccount(updated);
  });
}

/**
 * Sets whom a supervisor sees: "all" employees, or the members of these teams, replacing the
 * previous setting. No teams means nobody, never everyone.
 */
export async function assignTeams(db: Db, id: number, scope: Scope, context: AuditContext): Promise<Account> {
  const all = scope === "all";
  const wanted = all ? [] : [...new Set(scope)].sort((a, b) => a - b);
  if (wanted.some((teamId) => !Number.isSafeInteger(teamId) || teamId < 1)) {
    throw badRequest("invalid_input", "teamIds must be team ids", [
      { field: "teamIds", message: "teamIds must be team ids" },
    ]);
  }
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await loadForUpdate(tx, id);
      await tx.accountTeam.deleteMany({ where: { accountId: id } });
      if (wanted.length) await tx.accountTeam.createMany({ data: wanted.map((teamId) => ({ accountId: id, teamId })) });
      if (row.allEmployees !== all) await tx.account.update({ where: { id }, data: { allEmployees: all } });
      const updated = toAccount({ ...row, allEmployees: all, teams: wanted.map((teamId) => ({ teamId })) });
      await writeAudit(tx, {
        ...context,
        action: "account.teams",
        target: row.username,
        details: {
          from: scopeOf(toAccount(row)),
          to: scopeOf(updated),
          ...(seesNobody(updated) ? { seesNobody: true } : {}),
        },
      });
      return updated;
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw notFound("One of those teams does not exist");
    throw error;
  }
}

/**
 * Refuses, as a bad setting, an ADMIN_USERNAME that breaks the rules every account's username
 * keeps, whether or not the first admin is still to be made: a setting is judged the same on
 * every start.
 */
export function checkInitialAdminUsername(username: string | undefined): void {
  if (username === undefined) return;
  const parsed = accountUsernameSchema("ADMIN_USERNAME").safeParse(username);
  if (!parsed.success) throw invalidSetting(parsed.error.issues[0].message, username);
}

/**
 * Creates the first admin from ADMIN_USERNAME/ADMIN_PASSWORD when the database has no account
 * at all; otherwise (or without both settings) does nothing and returns null. Two instances
 * starting together create it once.
 */
export async function ensureInitialAdmin(
  db: Db,
  settings: { username?: string | null; password?: string | null },
): Promise<Account | null> {
  if (!settings.username || !settings.password) return null;
  if ((await db.prisma.account.count()) > 0) return null;
  try {
    return await createAccount(
      db,
      { username: settings.username, password: settings.password, role: "admin" },
      { actor: "startup" },
    );
  } catch (error) {
    if (error instanceof AppError && error.code === "account_exists") return null;
    throw error;
  }
}
