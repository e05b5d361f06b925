import { AppError, notFound } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import { writeAudit, type AuditContext } from "./audit.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { employeeUsernameSchema, teamNameSchema } from "./schemas.ts";
import { parseInput } from "../errors.ts";

export type Team = {
  id: number;
  name: string;
  createdAt: Date;
  /** Employees by user key: the case-folded username their agents report. */
  userKeys: string[];
};

const TEAM_SELECT = {
  id: true,
  name: true,
  createdAt: true,
  members: { select: { userKey: true }, orderBy: { userKey: "asc" } },
} as const;
const toTeam = ({ members, ...row }: Omit<Team, "userKeys"> & { members: { userKey: string }[] }): Team => ({
  ...row,
  userKeys: members.map((member) => member.userKey),
});

export async function createTeam(db: Db, name: string, context: AuditContext): Promise<Team> {
  const valid = parseInput(teamNameSchema, name);
  const now = new Date();
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.team.create({ data: { name: valid, createdAt: now }, select: TEAM_SELECT });
      await writeAudit(tx, { ...context, action: "team.create", target: valid, details: { id: row.id }, at: now });
      return toTeam(row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError(409, "team_exists", `A team named ${valid} already exists`);
    throw error;
  }
}

export async function listTeams(db: Db): Promise<Team[]> {
  return (await db.prisma.team.findMany({ select: TEAM_SELECT, orderBy: { name: "asc" } })).map(toTeam);
}

/** What deleting a team did to the supervisors limited to it. */
export type DeletedTeam = { name: string; supervisors: { username: string; seesNobody: boolean }[] };

/**
 * Deletes a team; its memberships and the supervisors' limits to it go with it. Each supervisor
 * limited to it gets an audit entry of their own, since whom they see changed; one left with no
 * team sees nobody (never everyone).
 */
export async function deleteTeam(db: Db, id: number, context: AuditContext): Promise<DeletedTeam> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.team.findUnique({ where: { id }, select: TEAM_SELECT });
    if (!row) throw notFound("No such team");
    const limited = await tx.account.findMany({
      where: { role: "supervisor", allEmployees: false, teams: { some: { teamId: id } } },
      select: { username: true, teams: { select: { teamId: true }, orderBy: { teamId: "asc" } } },
      orderBy: { usernameKey: "asc" },
    });
    await tx.team.delete({ where: { id } });
    const at = new Date();
    await writeAudit(tx, {
      ...context,
      action: "team.delete",
      target: row.name,
      details: { id, userKeys: row.members.map((m) => m.userKey), supervisors: limited.map((a) => a.username) },
      at,
    });
    const supervisors: DeletedTeam["supervisors"] = [];
    for (const account of limited) {
      const from = account.teams.map((team) => team.teamId);
      const to = from.filter((teamId) => teamId !== id);
      await writeAudit(tx, {
        ...context,
        action: "account.teams",
        target: account.username,
        details: { from, to, deletedTeam: row.name, ...(to.length ? {} : { seesNobody: true }) },
        at,
      });
      supervisors.push({ username: account.username, seesNobody: to.length === 0 });
    }
    return { name: row.name, supervisors };
  });
}

/** Sets who is in a team, by the usernames the agents report (any letter case), replacing the list. */
export async function setTeamMembers(db: Db, id: number, usernames: string[], context: AuditContext): Promise<Team> {
  const userKeys = [
    ...new Set(usernames.map((username) => toUserKey(parseInput(employeeUsernameSchema, username)))),
  ].sort();
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.team.findUnique({ where: { id }, select: TEAM_SELECT });
    if (!row) throw notFound("No such team");
    await tx.teamMember.deleteMany({ where: { teamId: id } });
    if (userKeys.length) await tx.teamMember.createMany({ data: userKeys.map((userKey) => ({ teamId: id, userKey })) });
    await writeAudit(tx, {
      ...context,
      action: "team.members",
      target: row.name,
      details: { from: row.members.map((member) => member.userKey), to: userKeys },
    });
    return { ...toTeam(row), userKeys };
  });
}
