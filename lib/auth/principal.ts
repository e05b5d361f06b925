import type { Db } from "../db/index.ts";
import type { Account } from "./accounts.ts";
import type { Role, TokenScope } from "./schemas.ts";
import type { ApiToken } from "./tokens.ts";

/** Who is asking: a signed-in account, or an API token. */
export type Principal =
  | { kind: "account"; account: Account; role: Role; teamIds: number[] }
  | { kind: "token"; token: ApiToken; scope: TokenScope };

export const toAccountPrincipal = (account: Account): Principal => ({
  kind: "account",
  account,
  role: account.role,
  teamIds: account.teamIds,
});
export const toTokenPrincipal = (token: ApiToken): Principal => ({ kind: "token", token, scope: token.scope });

/**
 * The employees (user keys) whose data the principal may read, or null for everyone. Admins,
 * viewers and read tokens read everything; a supervisor only if given all employees, otherwise
 * the members of their teams — nobody when they have none, so losing the last team never opens
 * everything (DESIGN §8). An ingest token reads nothing.
 */
export async function visibleUserKeys(db: Db, principal: Principal): Promise<Set<string> | null> {
  if (principal.kind === "token") return principal.scope === "read" ? null : new Set();
  if (principal.role !== "supervisor" || principal.account.allEmployees) return null;
  if (principal.teamIds.length === 0) return new Set();
  const members = await db.prisma.teamMember.findMany({
    where: { teamId: { in: principal.teamIds } },
    select: { userKey: true },
  });
  return new Set(members.map((member) => member.userKey));
}
