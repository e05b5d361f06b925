import type { Db, Prisma } from "../db/index.ts";

/** Who is acting and from where: an account's username, `token:<name>`, `cli` or `startup`. */
export type AuditContext = { actor: string; ip?: string | null };

type AuditAction =
  | "account.create"
  | "account.role"
  | "account.password"
  | "account.disable"
  | "account.enable"
  | "account.teams"
  | "team.create"
  | "team.delete"
  | "team.members"
  | "token.create"
  | "token.revoke"
  | "schedule.set"
  | "schedule.delete"
  | "holiday.add"
  | "holiday.import"
  | "holiday.delete"
  | "leave.add"
  | "leave.delete";

/** Details are stored as JSON: never put a password, token or cookie in them. */
export type AuditInput = AuditContext & {
  action: AuditAction;
  target?: string | null;
  details?: Record<string, unknown> | null;
  at?: Date;
};

export type AuditEntry = {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  ip: string | null;
};

export type AuditPage = { entries: AuditEntry[]; page: number; pageSize: number; total: number };

/** db.prisma or the client of a transaction, so the entry commits with the change it records. */
type AuditClient = Pick<Prisma, "auditEntry">;

export async function writeAudit(client: Db | AuditClient, entry: AuditInput): Promise<void> {
  const prisma = "prisma" in client ? client.prisma : client;
  await prisma.auditEntry.create({
    data: {
      at: entry.at ?? new Date(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
      ip: entry.ip ?? null,
    },
  });
}

function parseDetails(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The audit log, newest first, a page at a time (pages count from 1). */
export async function listAudit(
  db: Db,
  { page = 1, pageSize = 50 }: { page?: number; pageSize?: number } = {},
): Promise<AuditPage> {
  const size = Math.min(Math.max(Math.trunc(pageSize) || 50, 1), 500);
  const current = Math.max(Math.trunc(page) || 1, 1);
  const [rows, total] = await Promise.all([
    db.prisma.auditEntry.findMany({
      orderBy: [{ at: "desc" }, { id: "desc" }],
      skip: (current - 1) * size,
      take: size,
    }),
    db.prisma.auditEntry.count(),
  ]);
  return {
    entries: rows.map((row) => ({ ...row, details: parseDetails(row.details) })),
    page: current,
    pageSize: size,
    total,
  };
}
