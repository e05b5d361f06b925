import { describe, expect, it } from "vitest";
import { addDays } from "@/lib/time";
import {
  balanceOf,
  createExpectedCalculator,
  dayOffOf,
  type Calendar,
  type ScheduleRow,
  type WeekSeconds,
} from "@/lib/schedules/expected";
import { dayHoursSchema, leaveInputSchema } from "@/lib/schedules/schemas";

// Every figure below is worked by hand from a calendar of 2026: March 1st is a Sunday, so
// March has 22 weekdays (Mon 2, 9, 16, 23, 30; Tue 3 … 31; Wed 4 … 25; Thu 5 … 26; Fri 6 … 27)
// and April 1st is a Wednesday (22 weekdays: 1–3, 6–10, 13–17, 20–24, 27–30).

const H = 3600;
const week = (...hours: number[]) => hours.map((h) => h * H) as unknown as WeekSeconds;
const FULL_TIME = week(8, 8, 8, 8, 8, 0, 0);
const defaultFrom = (effectiveFrom: string, w: WeekSeconds): ScheduleRow => ({
  scope: "default",
  teamId: null,
  userKey: null,
  effectiveFrom,
  week: w,
});

function calendar(parts: Partial<Calendar>): Calendar {
  return {
    schedules: [defaultFrom("2020-01-01", FULL_TIME)],
    holidays: new Map(),
    leave: new Map(),
    teamsOf: new Map(),
    through: null,
    ...parts,
  };
}

const datesOf = (start: string, end: string) => {
  const dates: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) dates.push(d);
  return dates;
};
const MARCH = datesOf("2026-03-01", "2026-03-31");
const APRIL = datesOf("2026-04-01", "2026-04-30");
const total = (seconds: number[]) => seconds.reduce((a, b) => a + b, 0);

describe("expected hours", () => {
  it("expects the default schedule's hours on each weekday: 22 weekdays of 8 h in March 2026", () => {
    const expected = createExpectedCalculator(calendar({}))("alice", MARCH);
    expect(expected[MARCH.indexOf("2026-03-02")]).toBe(8 * H); // a Monday
    expect(expected[MARCH.indexOf("2026-03-07")]).toBe(0); // a Saturday
    expect(total(expected)).toBe(22 * 8 * H);
  });

  it("expects 8 h on a DST day of 23 h and on one of 25 h: a schedule counts hours of work, not of clock", () => {
    // Europe's clocks change on Sunday 29 March and Sunday 25 October 2026.
    const sevenDays = calendar({ schedules: [defaultFrom("2026-01-01", week(8, 8, 8, 8, 8, 8, 8))] });
    const expected = createExpectedCalculator(sevenDays);
    expect(expected("alice", ["2026-03-29"])).toEqual([8 * H]);
    expect(expected("alice", ["2026-10-25"])).toEqual([8 * H]);
    // Working the whole 23-hour day is 15 h over, not 16 h.
    expect(balanceOf(23 * H, expected("alice", ["2026-03-29"])[0])).toBe(15 * H);
  });

  it("keeps the old hours before a schedule changed mid-month and uses the new ones from its date", () => {
    const changed = calendar({
      schedules: [
        defaultFrom("2026-01-01", FULL_TIME),
        {
          scope: "employee",
          teamId: null,
          userKey: "bob",
          effectiveFrom: "2026-03-16",
          week: week(6, 6, 6, 6, 6, 0, 0),
        },
      ],
    });
    const expected = createExpectedCalculator(changed);
    // 2–13 March: 10 weekdays × 8 h; 16–31 March: 12 weekdays × 6 h.
    expect(total(expected("bob", MARCH))).toBe(10 * 8 * H + 12 * 6 * H);
    expect(total(expected("bob", MARCH))).toBe(152 * H);
    // Someone else keeps the default all month.
    expect(total(expected("alice", MARCH))).toBe(176 * H);
  });

  it("subtracts a holiday on a weekday once, and a holiday on a weekend not at all", () => {
    const holidays = new Map([
      ["2026-03-07", "Saturday holiday"],
      ["2026-03-10", "Tuesday holiday"],
    ]);
    const cal = calendar({ holidays });
    const expected = createExpectedCalculator(cal);
    // The week of 2–8 March has a Saturday holiday: still 5 × 8 h.
    expect(total(expected("alice", datesOf("2026-03-02", "2026-03-08")))).toBe(40 * H);
    // The week of 9–15 March loses its Tuesday: 4 × 8 h.
    expect(total(expected("alice", datesOf("2026-03-09", "2026-03-15")))).toBe(32 * H);
    // A holiday that falls on a day of leave is not subtracted twice either.
    const both = createExpectedCalculator({
      ...cal,
      leave: new Map([["alice", [{ start: "2026-03-09", end: "2026-03-13", kind: "vacation" as const }]]]),
    });
    expect(total(both("alice", datesOf("2026-03-09", "2026-03-15")))).toBe(0);
    expect(dayOffOf(cal, "alice", "2026-03-10")).toEqual({ holiday: "Tuesday holiday" });
  });

  it("splits leave across a month end between the two months", () => {
    // Monday 30 March to Thursday 2 April: two weekdays in each month.
    const cal = calendar({
      leave: new Map([["carol", [{ start: "2026-03-30", end: "2026-04-02", kind: "vacation" as const }]]]),
    });
    const expected = createExpectedCalculator(cal);
    expect(total(expected("carol", MARCH))).toBe(20 * 8 * H);
    expect(total(expected("carol", APRIL))).toBe(20 * 8 * H);
    expect(dayOffOf(cal, "carol", "2026-04-02")).toEqual({ leave: "vacation" });
    expect(dayOffOf(cal, "carol", "2026-04-03")).toBeNull();
  });

  it("gives a part-timer their own days: Monday and Wednesday 4 h, Friday 6 h", () => {
    const cal = calendar({
      schedules: [
        defaultFrom("2020-01-01", FULL_TIME),
        {
          scope: "employee",
          teamId: null,
          userKey: "dave",
          effectiveFrom: "2026-01-01",
          week: week(4, 0, 4, 0, 6, 0, 0),
        },
      ],
    });
    const days = createExpectedCalculator(cal)("dave", datesOf("2026-03-09", "2026-03-15"));
    expect(days).toEqual([4 * H, 0, 4 * H, 0, 6 * H, 0, 0]);
    // 15 h worked in a 14-hour week is one hour over.
    expect(balanceOf(15 * H, total(days))).toBe(1 * H);
  });

  it("prefers the employee's own schedule, then the team's (the earliest-created team), then the default", () => {
    const cal = calendar({
      schedules: [
        defaultFrom("2020-01-01", FULL_TIME),
        { scope: "team", teamId: 7, userKey: null, effectiveFrom: "2026-03-16", week: week(7, 7, 7, 7, 7, 0, 0) },
        { scope: "team", teamId: 3, userKey: null, effectiveFrom: "2026-03-23", week: week(5, 5, 5, 5, 5, 0, 0) },
        {
          scope: "employee",
          teamId: null,
          userKey: "erin",
          effectiveFrom: "2026-03-30",
          week: week(2, 2, 2, 2, 2, 0, 0),
        },
      ],
      teamsOf: new Map([
        ["erin", [7, 3]],
        ["finn", [7]],
      ]),
    });
    const expected = createExpectedCalculator(cal);
    const erin = expected("erin", MARCH);
    const on = (date: string) => erin[MARCH.indexOf(date)] / H;
    expect(on("2026-03-13")).toBe(8); // only the default in force
    expect(on("2026-03-16")).toBe(7); // team 7's from the 16th
    expect(on("2026-03-23")).toBe(5); // both teams now: team 3 was created first
    expect(on("2026-03-30")).toBe(2); // her own from the 30th
    expect(total(expected("finn", MARCH)) / H).toBe(10 * 8 + 12 * 7);
  });

  it("expects nothing after the calendar's last day (today), so a month under way is judged on its days so far", () => {
    const expected = createExpectedCalculator(calendar({ through: "2026-03-10" }));
    // Monday 2 to Tuesday 10 March: 7 weekdays.
    expect(total(expected("alice", MARCH))).toBe(7 * 8 * H);
  });

  it("expects nothing of anyone without any schedule", () => {
    expect(total(createExpectedCalculator(calendar({ schedules: [] }))("alice", MARCH))).toBe(0);
  });
});

describe("schedule and leave input", () => {
  it("reads hours as people type them", () => {
    const hours = (text: string) => dayHoursSchema("Monday").parse(text);
    expect(hours("8")).toBe(8 * H);
    expect(hours("7.5")).toBe(7.5 * H);
    expect(hours("7,5")).toBe(7.5 * H);
    expect(hours("7:30")).toBe(7.5 * H);
    expect(hours("")).toBe(0);
    expect(dayHoursSchema("Monday").safeParse("25").error?.issues[0].message).toBe(
      "Monday must be hours from 0 to 24, as 8, 7.5 or 7:30",
    );
    expect(dayHoursSchema("Monday").safeParse("eight").success).toBe(false);
  });

  it("refuses leave that ends before it starts, naming the field", () => {
    const result = leaveInputSchema.safeParse({
      username: "alice",
      start: "2026-03-10",
      end: "2026-03-09",
      kind: "sick",
    });
    expect(result.error?.issues[0]).toMatchObject({ path: ["end"], message: "to must not be before from" });
    expect(
      leaveInputSchema.safeParse({ username: "alice", start: "2026-03-10", end: "2026-03-10", kind: "holiday" }).error
        ?.issues[0].message,
    ).toBe('kind must be "vacation", "sick" or "other"');
  });
});
