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
 * The employees (user keys) whose data the principal may read, or null for everyone. Only a
 * supervisor given teams is limited, to the members of those teams (possibly nobody). An
 * ingest token reads nothing.
 */
export async function visibleUserKeys(db: Db, principal: Principal): Promise<Set<string> | null> {
  if (principal.kind === "token") return principal.scope === "read" ? null : new Set();
  if (principal.role !== "supervisor" || principal.teamIds.length === 0) return null;
  const members = await db.prisma.teamMember.findMany({
    where: { teamId: { in: principal.teamIds } },
    select: { userKey: true },
  });
  return new Set(members.map((member) => member.userKey));
}
