import { AppError, notFound, parseInput } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import { writeAudit, type AuditContext } from "../auth/audit.ts";
import type { Calendar, LeaveKind, LeaveSpan, ScheduleRow, ScheduleScope, WeekSeconds } from "./expected.ts";
import {
  holidayInputSchema,
  leaveInputSchema,
  scheduleInputSchema,
  type HolidayInput,
  type LeaveInput,
  type ScheduleInput,
} from "./schemas.ts";

export type StoredSchedule = ScheduleRow & { id: number; teamName: string | null };
export type StoredHoliday = { id: number; date: LocalDate; name: string };
export type StoredLeave = LeaveSpan & { id: number; userKey: string; note: string | null; createdBy: string };

const DAY_COLUMNS = [
  "monSeconds",
  "tueSeconds",
  "wedSeconds",
  "thuSeconds",
  "friSeconds",
  "satSeconds",
  "sunSeconds",
] as const;

type ScheduleRecord = { [K in (typeof DAY_COLUMNS)[number]]: number } & {
  id: number;
  scope: string;
  teamId: number | null;
  userKey: string | null;
  effectiveFrom: string;
};

const toWeek = (row: ScheduleRecord) => DAY_COLUMNS.map((column) => row[column]) as unknown as WeekSeconds;
const toScheduleRow = (row: ScheduleRecord): ScheduleRow => ({
  scope: row.scope as ScheduleScope,
  teamId: row.teamId,
  userKey: row.userKey,
  effectiveFrom: row.effectiveFrom,
  week: toWeek(row),
});

/** Every schedule row: the default's, then each team's and each employee's, each by date. */
export async function listSchedules(db: Db): Promise<StoredSchedule[]> {
  const rows = await db.prisma.workSchedule.findMany({
    include: { team: { select: { name: true } } },
    orderBy: [{ scope: "asc" }, { scopeKey: "asc" }, { effectiveFrom: "asc" }],
  });
  return rows.map((row) => ({ ...toScheduleRow(row), id: row.id, teamName: row.team?.name ?? null }));
}

/**
 * Sets the hours of a scope from a date on; the same scope and date again replaces that row.
 * Rows before it keep the hours they had, so past months keep their schedule.
 */
export async function setSchedule(db: Db, input: ScheduleInput, context: AuditContext): Promise<StoredSchedule> {
  const valid = parseInput(scheduleInputSchema, input);
  const days = Object.fromEntries(DAY_COLUMNS.map((column, i) => [column, valid.week[i]])) as Record<
    (typeof DAY_COLUMNS)[number],
    number
  >;
  return db.prisma.$transaction(async (tx) => {
    let scopeKey = "default";
    let teamId: number | null = null;
    let userKey: string | null = null;
    let target = "default";
    if (valid.scope === "team") {
      const team = await tx.team.findUnique({ where: { id: valid.teamId }, select: { name: true } });
      if (!team) throw notFound("No such team");
      teamId = valid.teamId;
      scopeKey = `team:${teamId}`;
      target = `team ${team.name}`;
    } else if (valid.scope === "employee") {
      userKey = toUserKey(valid.username);
      scopeKey = `employee:${userKey}`;
      target = valid.username;
    }
    const previous = await tx.workSchedule.findUnique({
      where: { scopeKey_effectiveFrom: { scopeKey, effectiveFrom: valid.effectiveFrom } },
    });
    const row = await tx.workSchedule.upsert({
      where: { scopeKey_effectiveFrom: { scopeKey, effectiveFrom: valid.effectiveFrom } },
      create: {
        scope: valid.scope,
        scopeKey,
        teamId,
        userKey,
        effectiveFrom: valid.effectiveFrom,
        ...days,
        createdAt: new Date(),
      },
      update: days,
      include: { team: { select: { name: true } } },
    });
    await writeAudit(tx, {
      ...context,
      action: "schedule.set",
      target,
      details: {
        effectiveFrom: valid.effectiveFrom,
        weekSeconds: valid.week,
        ...(previous ? { replaced: toWeek(previous) } : {}),
      },
    });
    return { ...toScheduleRow(row), id: row.id, teamName: row.team?.name ?? null };
  });
}

export async function deleteSchedule(db: Db, id: number, context: AuditContext): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const row = await tx.workSchedule.findUnique({ where: { id } });
    if (!row) throw notFound("No such schedule");
    await tx.workSchedule.delete({ where: { id } });
    await writeAudit(tx, {
      ...context,
      action: "schedule.delete",
      target: row.scopeKey,
      details: { effectiveFrom: row.effectiveFrom, weekSeconds: toWeek(row) },
    });
  });
}

/** Holidays by date; with a year, only that year's. */
export async function listHolidays(db: Db, year?: number): Promise<StoredHoliday[]> {
  const where = year ? { date: { gte: `${year}-01-01`, lte: `${year}-12-31` } } : {};
  return db.prisma.holiday.findMany({ where, select: { id: true, date: true, name: true }, orderBy: { date: "asc" } });
}

/** Adds holidays, or renames those already on their dates; one audit entry for all. */
export async function addHolidays(
  db: Db,
  inputs: readonly HolidayInput[],
  context: AuditContext & { source?: string },
): Promise<{ added: number; renamed: number }> {
  const valid = inputs.map((input) => parseInput(holidayInputSchema, input));
  const byDate = new Map(valid.map((holiday) => [holiday.date, holiday.name]));
  const { source, ...audit } = context;
  return db.prisma.$transaction(async (tx) => {
    const existing = new Map(
      (await tx.holiday.findMany({ where: { date: { in: [...byDate.keys()] } } })).map((row) => [row.date, row]),
    );
    let added = 0;
    let renamed = 0;
    for (const [date, name] of byDate) {
      const row = existing.get(date);
      if (!row) {
        await tx.holiday.create({ data: { date, name, createdAt: new Date() } });
        added++;
      } else if (row.name !== name) {
        await tx.holiday.update({ where: { id: row.id }, data: { name } });
        renamed++;
      }
    }
    await writeAudit(tx, {
      ...audit,
      action: source ? "holiday.import" : "holiday.add",
      target: source ?? [...byDate.keys()].join(", "),
      details: { holidays: [...byDate].map(([date, name]) => ({ date, name })), added, renamed },
    });
    return { added, renamed };
  });
}

export async function deleteHoliday(db: Db, id: number, context: AuditContext): Promise<StoredHoliday> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.holiday.findUnique({ where: { id }, select: { id: true, date: true, name: true } });
    if (!row) throw notFound("No such holiday");
    await tx.holiday.delete({ where: { id } });
    await writeAudit(tx, { ...context, action: "holiday.delete", target: row.date, details: { name: row.name } });
    return row;
  });
}

const LEAVE_SELECT = {
  id: true,
  userKey: true,
  startDate: true,
  endDate: true,
  kind: true,
  note: true,
  createdBy: true,
} as const;
const toLeave = (row: {
  id: number;
  userKey: string;
  startDate: string;
  endDate: string;
  kind: string;
  note: string | null;
  createdBy: string;
}): StoredLeave => ({
  id: row.id,
  userKey: row.userKey,
  start: row.startDate,
  end: row.endDate,
  kind: row.kind as LeaveKind,
  note: row.note,
  createdBy: row.createdBy,
});

/**
 * Leave overlapping [from, to], newest first, of only the employees in `visible` when it is a
 * set (a supervisor's teams); at most `limit` entries.
 */
export async function listLeave(
  db: Db,
  range: { from?: LocalDate; to?: LocalDate; username?: string },
  visible: ReadonlySet<string> | null,
  limit = 500,
): Promise<StoredLeave[]> {
  if (visible?.size === 0) return [];
  const rows = await db.prisma.leave.findMany({
    where: {
      ...(range.to ? { startDate: { lte: range.to } } : {}),
      ...(range.from ? { endDate: { gte: range.from } } : {}),
      ...(range.username ? { userKey: toUserKey(range.username) } : visible ? { userKey: { in: [...visible] } } : {}),
    },
    select: LEAVE_SELECT,
    orderBy: [{ startDate: "desc" }, { id: "desc" }],
    take: limit,
  });
  return rows.filter((row) => visible === null || visible.has(row.userKey)).map(toLeave);
}

const notYours = () => new AppError(403, "forbidden", "You may enter leave only for employees of your own teams");

/**
 * Enters leave for an employee: `visible` null is an admin (everyone); a set is a supervisor's
 * teams, and anyone outside it is refused (so a supervisor with no team enters nothing).
 */
export async function addLeave(
  db: Db,
  input: LeaveInput,
  visible: ReadonlySet<string> | null,
  context: AuditContext,
): Promise<StoredLeave> {
  const valid = parseInput(leaveInputSchema, input);
  const userKey = toUserKey(valid.username);
  if (visible !== null && !visible.has(userKey)) throw notYours();
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.leave.create({
      data: {
        userKey,
        startDate: valid.start,
        endDate: valid.end,
        kind: valid.kind,
        note: valid.note || null,
        createdAt: new Date(),
        createdBy: context.actor,
      },
      select: LEAVE_SELECT,
    });
    await writeAudit(tx, {
      ...context,
      action: "leave.add",
      target: valid.username,
      details: {
        id: row.id,
        from: valid.start,
        to: valid.end,
        kind: valid.kind,
        ...(row.note ? { note: row.note } : {}),
      },
    });
    return toLeave(row);
  });
}

export async function deleteLeave(
  db: Db,
  id: number,
  visible: ReadonlySet<string> | null,
  context: AuditContext,
): Promise<StoredLeave> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.leave.findUnique({ where: { id }, select: LEAVE_SELECT });
    // Another team's leave is as unknown to a supervisor as none at all.
    if (!row || (visible !== null && !visible.has(row.userKey))) throw notFound("No such leave");
    await tx.leave.delete({ where: { id } });
    await writeAudit(tx, {
      ...context,
      action: "leave.delete",
      target: row.userKey,
      details: { id, from: row.startDate, to: row.endDate, kind: row.kind },
    });
    return toLeave(row);
  });
}

/**
 * What expected hours need for [start, end], read in four queries whatever the number of
 * employees: every schedule row (a short table), the range's holidays, the leave overlapping
 * it and team memberships. `through` is the last date expected to be worked (today).
 */
export async function loadCalendar(
  db: Db,
  range: { start: LocalDate; end: LocalDate },
  through: LocalDate | null,
): Promise<Calendar> {
  const [schedules, holidays, leave, members] = await Promise.all([
    db.prisma.workSchedule.findMany({ where: { effectiveFrom: { lte: range.end } } }),
    db.prisma.holiday.findMany({
      where: { date: { gte: range.start, lte: range.end } },
      select: { date: true, name: true },
    }),
    db.prisma.leave.findMany({
      where: { startDate: { lte: range.end }, endDate: { gte: range.start } },
      select: { userKey: true, startDate: true, endDate: true, kind: true },
    }),
    db.raw.query<Record<string, unknown>>(`SELECT team_id, user_key FROM team_members`),
  ]);
  const leaveOf = new Map<string, LeaveSpan[]>();
  for (const row of leave)
    leaveOf.set(row.userKey, [
      ...(leaveOf.get(row.userKey) ?? []),
      { start: row.startDate, end: row.endDate, kind: row.kind as LeaveKind },
    ]);
  const teamsOf = new Map<string, number[]>();
  for (const row of members) {
    const key = String(row.user_key);
    teamsOf.set(key, [...(teamsOf.get(key) ?? []), Number(row.team_id)]);
  }
  return {
    schedules: schedules.map(toScheduleRow),
    holidays: new Map(holidays.map((row) => [row.date, row.name])),
    leave: leaveOf,
    teamsOf,
    through,
  };
}
