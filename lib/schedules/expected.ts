import type { LocalDate } from "../time.ts";

// Expected hours (DESIGN §11) beside the hours rules of §5, never inside them: what a user was
// expected to work on a local date, from the schedule in force, public holidays and leave.

/** Seconds expected Monday to Sunday. */
export type WeekSeconds = readonly [number, number, number, number, number, number, number];

export type ScheduleScope = "default" | "team" | "employee";

export type ScheduleRow = {
  scope: ScheduleScope;
  teamId: number | null;
  userKey: string | null;
  /** In force from this local date until the next row of the same scope. */
  effectiveFrom: LocalDate;
  week: WeekSeconds;
};

export const LEAVE_KINDS = ["vacation", "sick", "other"] as const;
export type LeaveKind = (typeof LEAVE_KINDS)[number];

export type LeaveSpan = { start: LocalDate; end: LocalDate; kind: LeaveKind };

/** Everything expected hours depend on, for a range of dates, read once for every user. */
export type Calendar = {
  schedules: readonly ScheduleRow[];
  /** Public holidays: date → name. */
  holidays: ReadonlyMap<LocalDate, string>;
  /** Per user key, their leave (both ends included). */
  leave: ReadonlyMap<string, readonly LeaveSpan[]>;
  /** Per user key, the ids of their teams. */
  teamsOf: ReadonlyMap<string, readonly number[]>;
  /**
   * The last date anyone is expected to work (today, when the calendar is read for a report):
   * a period still under way is judged on its days so far, not on days still to come.
   */
  through: LocalDate | null;
};

/** 0 for Monday … 6 for Sunday. */
const weekdayIndex = (date: LocalDate) => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;

/** The row of `rows` (one scope's, sorted by date) in force on `date`, if any. */
function inForce(rows: readonly ScheduleRow[] | undefined, date: LocalDate): ScheduleRow | undefined {
  if (!rows) return undefined;
  let found: ScheduleRow | undefined;
  for (const row of rows) {
    if (row.effectiveFrom > date) break;
    found = row;
  }
  return found;
}

type Indexed = {
  byDefault: ScheduleRow[];
  byTeam: Map<number, ScheduleRow[]>;
  byEmployee: Map<string, ScheduleRow[]>;
};

function indexSchedules(rows: readonly ScheduleRow[]): Indexed {
  const sorted = [...rows].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
  const index: Indexed = { byDefault: [], byTeam: new Map(), byEmployee: new Map() };
  for (const row of sorted) {
    if (row.scope === "default") index.byDefault.push(row);
    else if (row.scope === "team" && row.teamId !== null)
      index.byTeam.set(row.teamId, [...(index.byTeam.get(row.teamId) ?? []), row]);
    else if (row.scope === "employee" && row.userKey !== null)
      index.byEmployee.set(row.userKey, [...(index.byEmployee.get(row.userKey) ?? []), row]);
  }
  return index;
}

/**
 * The schedule a user works to on `date`: their own row in force, else a team's, else the
 * default's. In several teams with a schedule in force, the team created first (lowest id)
 * decides, so the choice is stable and does not jump between teams as their hours change.
 */
function scheduleOn(
  index: Indexed,
  userKey: string,
  teamIds: readonly number[],
  date: LocalDate,
): ScheduleRow | undefined {
  const own = inForce(index.byEmployee.get(userKey), date);
  if (own) return own;
  for (const teamId of teamIds) {
    const team = inForce(index.byTeam.get(teamId), date);
    if (team) return team;
  }
  return inForce(index.byDefault, date);
}

/** Seconds expected of a user on `date` under a schedule alone, before holidays and leave. */
const scheduled = (row: ScheduleRow | undefined, date: LocalDate) => (row ? row.week[weekdayIndex(date)] : 0);

const leaveOn = (spans: readonly LeaveSpan[] | undefined, date: LocalDate) =>
  spans?.find((span) => span.start <= date && date <= span.end);

/**
 * Expected seconds per user over `dates` (consecutive): a holiday or leave expects nothing (a
 * holiday on a day the schedule already expects nothing subtracts nothing more); otherwise the
 * schedule's seconds for the weekday — the same on a 23- or 25-hour DST day, since a schedule
 * counts hours of work, not hours of clock. The calendar is read once per period and this works
 * per distinct schedule chain rather than per user, so 10,000 employees on two schedules cost
 * two passes over the dates plus one per employee on leave.
 */
export function createExpectedCalculator(calendar: Calendar) {
  const index = indexSchedules(calendar.schedules);
  const chains = new Map<string, number[]>();
  const teamsWithSchedule = (userKey: string) =>
    [...(calendar.teamsOf.get(userKey) ?? [])].filter((id) => index.byTeam.has(id)).sort((a, b) => a - b);

  return function expectedDays(userKey: string, dates: readonly LocalDate[]): number[] {
    const teamIds = teamsWithSchedule(userKey);
    const chainKey = `${index.byEmployee.has(userKey) ? `u:${userKey}` : ""}|t:${teamIds.join(",")}`;
    const cacheKey = `${chainKey}|${dates[0] ?? ""}|${dates.length}`;
    let base = chains.get(cacheKey);
    if (!base) {
      base = dates.map((date) =>
        (calendar.through !== null && date > calendar.through) || calendar.holidays.has(date)
          ? 0
          : scheduled(scheduleOn(index, userKey, teamIds, date), date),
      );
      chains.set(cacheKey, base);
    }
    const leave = calendar.leave.get(userKey);
    return leave ? base.map((seconds, i) => (leaveOn(leave, dates[i]) ? 0 : seconds)) : base;
  };
}

/** A day off for a user, as the pages mark it: a public holiday (named) or leave (of a kind). */
export type DayOff = { holiday: string } | { leave: LeaveKind };

/** Why a user is not expected to work on `date`, if that is why: a holiday, else leave; null otherwise. */
export function dayOffOf(calendar: Calendar, userKey: string, date: LocalDate): DayOff | null {
  const holiday = calendar.holidays.get(date);
  if (holiday !== undefined) return { holiday };
  const leave = leaveOn(calendar.leave.get(userKey), date);
  return leave ? { leave: leave.kind } : null;
}

/** Worked minus expected: positive is overtime, negative undertime. */
export const balanceOf = (workedSeconds: number, expectedSeconds: number) => workedSeconds - expectedSeconds;
