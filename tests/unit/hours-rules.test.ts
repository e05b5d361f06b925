import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareEvents,
  createPieceDeriver,
  derivePeriods,
  derivePieces,
  splitAtMidnight,
  summarisePieces,
  type HoursRules,
  type Piece,
} from "@/lib/hours/periods";
import { type HoursEvent } from "@/lib/users";
import { findWindowEnd, findWindowStart } from "@/lib/hours/window";
import { addDays, isLocalDate, localDateOf, startOfLocalDay } from "@/lib/time";

/*
 * DESIGN §5, rule by rule, with every expectation worked out by hand. Instants are written as
 * local wall-clock times with their UTC offset ("2026-03-02T09:00+04:00"), so each expected
 * number can be checked against a calendar without trusting the code under test.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const DUBAI = "Asia/Dubai"; // UTC+4, no DST
const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";
const SANTIAGO = "America/Santiago"; // skips midnight when DST begins
const APIA = "Pacific/Apia"; // skipped all of 2011-12-30

/** An instant written with its offset; throws on a typo rather than yielding NaN. */
function at(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${text}`);
  return ms;
}

/** A wall-clock time on Monday 2026-03-02 in Dubai: "09:15" or "09:15:00.001". */
const dubai = (time: string) => at(`2026-03-02T${time}+04:00`);

const iso = (ms: number) => new Date(ms).toISOString();

type Spec = [time: string, state: "w" | "s"];

/** Events from specs; ids follow the order written, which is also the arrival order. */
function events(specs: Spec[], toMs: (time: string) => number = dubai): HoursEvent[] {
  return specs.map(([time, state], i) => ({ id: i + 1, ts: toMs(time), state: state === "w" ? "working" : "stopped" }));
}

const sorted = (list: readonly HoursEvent[]) => [...list].sort(compareEvents);

const periodsOf = (list: readonly HoursEvent[], gapMinutes: number) =>
  derivePeriods(sorted(list), gapMinutes * MINUTE).map((p) => [iso(p.start), iso(p.end)]);

const rules = (gapMinutes: number, timeZone = DUBAI, blockMinutes = 40): HoursRules => ({
  gapMs: gapMinutes * MINUTE,
  blockMs: blockMinutes * MINUTE,
  timeZone,
});

/** The whole pipeline for one user, in a readable shape. */
function daysOf(list: readonly HoursEvent[], r: HoursRules) {
  return summarisePieces(derivePieces(sorted(list), r), r.blockMs).map((day) => ({
    date: day.date,
    workingSeconds: day.workingSeconds,
    realHours: day.realHours,
    first: iso(day.firstActivity),
    last: iso(day.lastActivity),
  }));
}

/** A deterministic shuffle, so that a failure can be reproduced. */
function shuffle<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe("§5.1 ordering: compareEvents", () => {
  const e = (id: number, ts: number, state: HoursEvent["state"]): HoursEvent => ({ id, ts, state });
  it.each([
    {
      name: "an earlier time sorts first, whatever its state and id",
      a: e(9, 1000, "stopped"),
      b: e(1, 2000, "working"),
      sign: -1,
    },
    { name: "a later time sorts last", a: e(1, 2001, "working"), b: e(9, 2000, "stopped"), sign: 1 },
    {
      name: "at equal times working sorts before stopped, even with a higher id",
      a: e(9, 1000, "working"),
      b: e(1, 1000, "stopped"),
      sign: -1,
    },
    { name: "at equal times stopped sorts after working", a: e(1, 1000, "stopped"), b: e(9, 1000, "working"), sign: 1 },
    {
      name: "at equal time and state the lower id sorts first",
      a: e(3, 1000, "working"),
      b: e(5, 1000, "working"),
      sign: -1,
    },
    {
      name: "at equal time and state the higher id sorts last",
      a: e(5, 1000, "stopped"),
      b: e(3, 1000, "stopped"),
      sign: 1,
    },
    { name: "an event equals itself", a: e(4, 1000, "working"), b: e(4, 1000, "working"), sign: 0 },
  ])("$name", ({ a, b, sign }) => {
    expect(Math.sign(compareEvents(a, b))).toBe(sign);
    expect(Math.sign(compareEvents(b, a))).toBe(-sign || 0);
  });

  it("sorts a mixed list by time, then working before stopped, then id", () => {
    const list = [
      e(1, 3000, "working"),
      e(2, 1000, "stopped"),
      e(3, 1000, "working"),
      e(4, 2000, "stopped"),
      e(5, 1000, "working"),
    ];
    expect(sorted(list).map((x) => x.id)).toEqual([3, 5, 2, 4, 1]);
  });
});

type PeriodCase = { name: string; gap: number; specs: Spec[]; periods: [string, string][] };

// All on 2026-03-02 in Dubai; GAP in minutes.
const PERIOD_CASES: PeriodCase[] = [
  {
    name: "§5.2/5.3 a working event opens, working events extend, a stopped event closes",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:20", "w"],
      ["09:25", "s"],
    ],
    periods: [["09:00", "09:25"]],
  },
  {
    name: "§5.3 stopped events with no open period do nothing",
    gap: 15,
    specs: [
      ["08:00", "s"],
      ["08:05", "s"],
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:12", "s"],
      ["09:14", "s"],
    ],
    periods: [["09:00", "09:12"]],
  },
  {
    name: "§5.2 a working event after a stop opens a new period",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:20", "w"],
      ["09:30", "s"],
      ["09:35", "w"],
      ["09:45", "w"],
      ["10:00", "s"],
    ],
    periods: [
      ["09:00", "09:30"],
      ["09:35", "10:00"],
    ],
  },
  {
    name: "§5.3 stopped heartbeats while idle neither extend nor open anything",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:12", "s"],
      ["09:17", "s"],
      ["09:22", "s"],
      ["09:30", "w"],
      ["09:40", "s"],
      ["09:45", "s"],
    ],
    periods: [
      ["09:00", "09:12"],
      ["09:30", "09:40"],
    ],
  },
  {
    name: "§5.4 a silence of exactly GAP keeps the period open",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:15", "w"],
      ["09:30", "s"],
    ],
    periods: [["09:00", "09:30"]],
  },
  {
    name: "§5.4 a silence of GAP + 1 ms closes at the last event; the next working event opens afresh",
    gap: 15,
    specs: [
      ["08:30", "w"],
      ["08:45", "w"],
      ["09:00", "w"],
      ["09:15:00.001", "w"],
      ["09:30", "w"],
    ],
    periods: [
      ["08:30", "09:00"],
      ["09:15:00.001", "09:30"],
    ],
  },
  {
    name: "§5.4 a stopped event GAP + 1 ms after the last one closes at that last one, not at its own time",
    gap: 15,
    specs: [
      ["08:30", "w"],
      ["08:45", "w"],
      ["09:00", "w"],
      ["09:15:00.001", "s"],
    ],
    periods: [["08:30", "09:00"]],
  },
  {
    name: "§5.3/5.4 a stopped event exactly GAP after the last one closes at its own time",
    gap: 15,
    specs: [
      ["08:30", "w"],
      ["08:45", "w"],
      ["09:00", "w"],
      ["09:15", "s"],
    ],
    periods: [["08:30", "09:15"]],
  },
  {
    name: "§5.4 the silence is counted from the latest event, not from the period's start",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:14", "w"],
      ["09:28", "w"],
      ["09:42", "w"],
      ["09:56", "w"],
    ],
    periods: [["09:00", "09:56"]],
  },
  {
    name: "§5.4 GAP 5: a silence of 5 min stays, 5 min + 1 ms closes",
    gap: 5,
    specs: [
      ["09:00", "w"],
      ["09:05", "w"],
      ["09:10:00.001", "w"],
      ["09:15:00.001", "s"],
    ],
    periods: [
      ["09:00", "09:05"],
      ["09:10:00.001", "09:15:00.001"],
    ],
  },
  {
    name: "§5.4 GAP 0 never closes a period for silence",
    gap: 0,
    specs: [
      ["09:00", "w"],
      ["17:00", "w"],
      ["17:30", "s"],
    ],
    periods: [["09:00", "17:30"]],
  },
  {
    name: "§5.4/5.5 GAP 0: a stream with no stop ends at its last event",
    gap: 0,
    specs: [
      ["09:00", "w"],
      ["13:00", "w"],
    ],
    periods: [["09:00", "13:00"]],
  },
  {
    name: "§5.5 a period still open after the last event ends at that event",
    gap: 60,
    specs: [
      ["09:00", "w"],
      ["09:20", "w"],
      ["09:45", "w"],
    ],
    periods: [["09:00", "09:45"]],
  },
  { name: "§5.5 a lone heartbeat gives nothing", gap: 15, specs: [["09:00", "w"]], periods: [] },
  { name: "§5.5 a lone heartbeat gives nothing, even with GAP 0", gap: 0, specs: [["09:00", "w"]], periods: [] },
  {
    name: "§5.4/5.5 heartbeats each more than GAP apart give nothing",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:16", "w"],
      ["09:32", "w"],
      ["09:48", "w"],
    ],
    periods: [],
  },
  {
    name: "§5.3 a stopped-only stream gives nothing",
    gap: 15,
    specs: [
      ["09:00", "s"],
      ["09:05", "s"],
      ["10:00", "s"],
      ["12:00", "s"],
    ],
    periods: [],
  },
  {
    name: "§5.3 a stopped-only stream gives nothing with GAP 0 either",
    gap: 0,
    specs: [
      ["09:00", "s"],
      ["17:00", "s"],
    ],
    periods: [],
  },
  {
    name: "§5.1 working and stopped at one instant: working first, so the period has no length",
    gap: 15,
    specs: [
      ["09:00", "s"],
      ["09:00", "w"],
    ],
    periods: [],
  },
  {
    name: "§5.1 at equal times working comes before stopped even when the stopped event has the lower id",
    gap: 0,
    // Working first: 09:00–10:00, then 10:20 is a lone heartbeat. Stopped first would open a second period 10:00–10:20.
    specs: [
      ["09:00", "w"],
      ["10:00", "s"],
      ["10:00", "w"],
      ["10:20", "w"],
    ],
    periods: [["09:00", "10:00"]],
  },
  {
    name: "§5.1/5.4 a working and a stopped event at one instant after a long silence give nothing",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:20", "w"],
      ["09:20", "s"],
    ],
    periods: [],
  },
  {
    name: "a repeated event counts once",
    gap: 15,
    specs: [
      ["09:00", "w"],
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:20", "s"],
      ["09:20", "s"],
    ],
    periods: [["09:00", "09:20"]],
  },
];

describe("§5.2–5.5 periods: derivePeriods", () => {
  it.each(PERIOD_CASES)("$name", ({ gap, specs, periods }) => {
    const expected = periods.map(([start, end]) => [iso(dubai(start)), iso(dubai(end))]);
    expect(periodsOf(events(specs), gap)).toEqual(expected);
  });

  it.each(PERIOD_CASES)("§5.1 arrival order never matters: $name", ({ gap, specs }) => {
    const list = events(specs);
    const expected = periodsOf(list, gap);
    expect(periodsOf([...list].reverse(), gap)).toEqual(expected);
    for (let seed = 1; seed <= 20; seed++) expect(periodsOf(shuffle(list, seed), gap)).toEqual(expected);
  });
});

type SplitCase = {
  name: string;
  zone: string;
  period: [string, string];
  pieces: [date: string, start: string, end: string, hours: number][];
};

const SPLIT_CASES: SplitCase[] = [
  {
    name: "Dubai: a period across midnight is cut into two pieces",
    zone: DUBAI,
    period: ["2026-03-02T23:30+04:00", "2026-03-03T00:30+04:00"],
    pieces: [
      ["2026-03-02", "2026-03-02T23:30+04:00", "2026-03-03T00:00+04:00", 0.5],
      ["2026-03-03", "2026-03-03T00:00+04:00", "2026-03-03T00:30+04:00", 0.5],
    ],
  },
  {
    name: "Dubai: a period ending exactly at midnight stays on its date",
    zone: DUBAI,
    period: ["2026-03-02T23:00+04:00", "2026-03-03T00:00+04:00"],
    pieces: [["2026-03-02", "2026-03-02T23:00+04:00", "2026-03-03T00:00+04:00", 1]],
  },
  {
    name: "Dubai: a period starting exactly at midnight belongs to the new date",
    zone: DUBAI,
    period: ["2026-03-03T00:00+04:00", "2026-03-03T00:40+04:00"],
    pieces: [["2026-03-03", "2026-03-03T00:00+04:00", "2026-03-03T00:40+04:00", 2 / 3]],
  },
  {
    name: "Dubai: a period over two midnights holds a whole day of 24 hours",
    zone: DUBAI,
    period: ["2026-03-02T22:00+04:00", "2026-03-04T01:00+04:00"],
    pieces: [
      ["2026-03-02", "2026-03-02T22:00+04:00", "2026-03-03T00:00+04:00", 2],
      ["2026-03-03", "2026-03-03T00:00+04:00", "2026-03-04T00:00+04:00", 24],
      ["2026-03-04", "2026-03-04T00:00+04:00", "2026-03-04T01:00+04:00", 1],
    ],
  },
  {
    name: "Dubai: one millisecond either side of midnight",
    zone: DUBAI,
    period: ["2026-03-02T23:59:59.999+04:00", "2026-03-03T00:00:00.001+04:00"],
    pieces: [
      ["2026-03-02", "2026-03-02T23:59:59.999+04:00", "2026-03-03T00:00+04:00", 1 / HOUR],
      ["2026-03-03", "2026-03-03T00:00+04:00", "2026-03-03T00:00:00.001+04:00", 1 / HOUR],
    ],
  },
  {
    name: "Berlin spring forward: 01:30 CET to 03:30 CEST is one real hour",
    zone: BERLIN,
    period: ["2026-03-29T01:30+01:00", "2026-03-29T03:30+02:00"],
    pieces: [["2026-03-29", "2026-03-29T01:30+01:00", "2026-03-29T03:30+02:00", 1]],
  },
  {
    name: "Berlin spring forward: 2026-03-29 holds 23 hours",
    zone: BERLIN,
    period: ["2026-03-28T23:00+01:00", "2026-03-30T01:00+02:00"],
    pieces: [
      ["2026-03-28", "2026-03-28T23:00+01:00", "2026-03-29T00:00+01:00", 1],
      ["2026-03-29", "2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00", 23],
      ["2026-03-30", "2026-03-30T00:00+02:00", "2026-03-30T01:00+02:00", 1],
    ],
  },
  {
    name: "Berlin fall back: 02:30 CEST to 02:30 CET is one real hour",
    zone: BERLIN,
    period: ["2026-10-25T02:30+02:00", "2026-10-25T02:30+01:00"],
    pieces: [["2026-10-25", "2026-10-25T02:30+02:00", "2026-10-25T02:30+01:00", 1]],
  },
  {
    name: "Berlin fall back: 2026-10-25 holds 25 hours",
    zone: BERLIN,
    period: ["2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00"],
    pieces: [["2026-10-25", "2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00", 25]],
  },
  {
    name: "New York spring forward: 01:30 EST to 03:30 EDT is one real hour",
    zone: NEW_YORK,
    period: ["2026-03-08T01:30-05:00", "2026-03-08T03:30-04:00"],
    pieces: [["2026-03-08", "2026-03-08T01:30-05:00", "2026-03-08T03:30-04:00", 1]],
  },
  {
    name: "New York spring forward: 2026-03-08 holds 23 hours",
    zone: NEW_YORK,
    period: ["2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00"],
    pieces: [["2026-03-08", "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", 23]],
  },
  {
    name: "New York fall back: 01:30 EDT to 01:30 EST is one real hour",
    zone: NEW_YORK,
    period: ["2026-11-01T01:30-04:00", "2026-11-01T01:30-05:00"],
    pieces: [["2026-11-01", "2026-11-01T01:30-04:00", "2026-11-01T01:30-05:00", 1]],
  },
  {
    name: "New York fall back: 2026-11-01 holds 25 hours",
    zone: NEW_YORK,
    period: ["2026-10-31T23:00-04:00", "2026-11-02T01:00-05:00"],
    pieces: [
      ["2026-10-31", "2026-10-31T23:00-04:00", "2026-11-01T00:00-04:00", 1],
      ["2026-11-01", "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", 25],
      ["2026-11-02", "2026-11-02T00:00-05:00", "2026-11-02T01:00-05:00", 1],
    ],
  },
  {
    name: "Santiago: where midnight is skipped the date begins at 01:00",
    zone: SANTIAGO,
    period: ["2026-09-05T23:30-04:00", "2026-09-06T01:30-03:00"],
    pieces: [
      ["2026-09-05", "2026-09-05T23:30-04:00", "2026-09-06T01:00-03:00", 0.5],
      ["2026-09-06", "2026-09-06T01:00-03:00", "2026-09-06T01:30-03:00", 0.5],
    ],
  },
  {
    name: "Apia: a date the zone skipped holds nothing",
    zone: APIA,
    period: ["2011-12-29T01:00-10:00", "2011-12-31T23:00+14:00"],
    pieces: [
      ["2011-12-29", "2011-12-29T01:00-10:00", "2011-12-31T00:00+14:00", 23],
      ["2011-12-31", "2011-12-31T00:00+14:00", "2011-12-31T23:00+14:00", 23],
    ],
  },
];

describe("§5.6 midnight cuts: splitAtMidnight", () => {
  it.each(SPLIT_CASES)("$name", ({ zone, period, pieces }) => {
    const got = splitAtMidnight({ start: at(period[0]), end: at(period[1]) }, zone);
    expect(got.map((p) => [p.date, iso(p.start), iso(p.end)])).toEqual(
      pieces.map(([date, s, e]) => [date, iso(at(s)), iso(at(e))]),
    );
    // Durations are real elapsed time, and the pieces add up to the period.
    expect(got.map((p) => (p.end - p.start) / HOUR)).toEqual(pieces.map((p) => expect.closeTo(p[3], 12)));
    expect(got.reduce((sum, p) => sum + p.end - p.start, 0)).toBe(at(period[1]) - at(period[0]));
  });

  it("gives nothing for a period of no length", () => {
    expect(splitAtMidnight({ start: dubai("09:00"), end: dubai("09:00") }, DUBAI)).toEqual([]);
  });
});

type DayCase = {
  name: string;
  rules: HoursRules;
  specs: Spec[];
  toMs?: (time: string) => number;
  days: { date: string; workingSeconds: number; realHours: number; first: string; last: string }[];
};

const DAY_CASES: DayCase[] = [
  {
    name: "exactly 40 minutes is one real hour",
    rules: rules(15),
    specs: [
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:20", "w"],
      ["09:30", "w"],
      ["09:40", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 2400, realHours: 1, first: "09:00", last: "09:40" }],
  },
  {
    name: "40 minutes less 1 ms is no real hour",
    rules: rules(15),
    specs: [
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:20", "w"],
      ["09:30", "w"],
      ["09:39:59.999", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 2399, realHours: 0, first: "09:00", last: "09:39:59.999" }],
  },
  {
    name: "80 minutes is two real hours",
    rules: rules(0),
    specs: [
      ["09:00", "w"],
      ["10:20", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 4800, realHours: 2, first: "09:00", last: "10:20" }],
  },
  {
    name: "80 minutes less 1 ms is one real hour",
    rules: rules(0),
    specs: [
      ["09:00", "w"],
      ["10:19:59.999", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 4799, realHours: 1, first: "09:00", last: "10:19:59.999" }],
  },
  {
    name: "real hours count per period: two periods of 30 minutes make none",
    rules: rules(15),
    specs: [
      ["09:00", "w"],
      ["09:15", "w"],
      ["09:30", "s"],
      ["10:00", "w"],
      ["10:15", "w"],
      ["10:30", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 3600, realHours: 0, first: "09:00", last: "10:30" }],
  },
  {
    name: "real hours count per period: 40 and 39 minutes make one",
    rules: rules(0),
    specs: [
      ["09:00", "w"],
      ["09:40", "s"],
      ["10:00", "w"],
      ["10:39", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 4740, realHours: 1, first: "09:00", last: "10:39" }],
  },
  {
    name: "real hours count per piece: 60 minutes cut 30/30 at midnight make 0 + 0",
    rules: rules(0),
    specs: [
      ["23:30", "w"],
      ["2026-03-03T00:30", "s"],
    ],
    toMs: (time) => at(time.includes("T") ? `${time}+04:00` : `2026-03-02T${time}+04:00`),
    days: [
      { date: "2026-03-02", workingSeconds: 1800, realHours: 0, first: "23:30", last: "2026-03-03T00:00" },
      { date: "2026-03-03", workingSeconds: 1800, realHours: 0, first: "2026-03-03T00:00", last: "2026-03-03T00:30" },
    ],
  },
  {
    name: "real hours count per piece: 100 minutes cut 40/60 at midnight make 1 + 1",
    rules: rules(0),
    specs: [
      ["23:20", "w"],
      ["2026-03-03T01:00", "s"],
    ],
    toMs: (time) => at(time.includes("T") ? `${time}+04:00` : `2026-03-02T${time}+04:00`),
    days: [
      { date: "2026-03-02", workingSeconds: 2400, realHours: 1, first: "23:20", last: "2026-03-03T00:00" },
      { date: "2026-03-03", workingSeconds: 3600, realHours: 1, first: "2026-03-03T00:00", last: "2026-03-03T01:00" },
    ],
  },
  {
    name: "working_seconds rounds down the millisecond sum, not each piece (1.5 s + 1.5 s = 3 s)",
    rules: rules(15),
    specs: [
      ["09:00:00.000", "w"],
      ["09:00:01.500", "s"],
      ["09:10:00.000", "w"],
      ["09:10:01.500", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 3, realHours: 0, first: "09:00", last: "09:10:01.500" }],
  },
  {
    name: "working_seconds rounds down: 999 ms is 0 s, but the day still shows its activity",
    rules: rules(15),
    specs: [
      ["09:00:00.000", "w"],
      ["09:00:00.999", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 0, realHours: 0, first: "09:00", last: "09:00:00.999" }],
  },
  {
    name: "first and last activity are the start of the first piece and the end of the last",
    rules: rules(15),
    specs: [
      ["14:00", "w"],
      ["14:10", "s"],
      ["09:00", "w"],
      ["09:05", "s"],
      ["11:00", "w"],
      ["11:10", "w"],
      ["11:20", "w"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 35 * 60, realHours: 0, first: "09:00", last: "14:10" }],
  },
  {
    name: "a block of 60 minutes: 119:59.999 is one real hour, 120 minutes two",
    rules: rules(0, DUBAI, 60),
    specs: [
      ["08:00", "w"],
      ["09:59:59.999", "s"],
      ["12:00", "w"],
      ["14:00", "s"],
    ],
    days: [{ date: "2026-03-02", workingSeconds: 7199 + 7200, realHours: 3, first: "08:00", last: "14:00" }],
  },
  {
    name: "Berlin: working the whole 23-hour 2026-03-29 is 82,800 s and 34 real hours",
    rules: rules(0, BERLIN),
    specs: [
      ["2026-03-29T00:00+01:00", "w"],
      ["2026-03-30T00:00+02:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-03-29",
        workingSeconds: 82_800,
        realHours: 34,
        first: "2026-03-29T00:00+01:00",
        last: "2026-03-30T00:00+02:00",
      },
    ],
  },
  {
    name: "Berlin: working the whole 25-hour 2026-10-25 is 90,000 s and 37 real hours",
    rules: rules(0, BERLIN),
    specs: [
      ["2026-10-25T00:00+02:00", "w"],
      ["2026-10-26T00:00+01:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-10-25",
        workingSeconds: 90_000,
        realHours: 37,
        first: "2026-10-25T00:00+02:00",
        last: "2026-10-26T00:00+01:00",
      },
    ],
  },
  {
    name: "Berlin: 01:30 to 03:30 local across spring forward is 3,600 s and 1 real hour",
    rules: rules(15, BERLIN),
    specs: [
      ["2026-03-29T01:30+01:00", "w"],
      ["2026-03-29T01:45+01:00", "w"],
      ["2026-03-29T03:00+02:00", "w"],
      ["2026-03-29T03:15+02:00", "w"],
      ["2026-03-29T03:30+02:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-03-29",
        workingSeconds: 3600,
        realHours: 1,
        first: "2026-03-29T01:30+01:00",
        last: "2026-03-29T03:30+02:00",
      },
    ],
  },
  {
    name: "Berlin: 02:30 CEST to 02:30 CET across fall back is 3,600 s, not 0",
    rules: rules(0, BERLIN),
    specs: [
      ["2026-10-25T02:30+02:00", "w"],
      ["2026-10-25T02:30+01:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-10-25",
        workingSeconds: 3600,
        realHours: 1,
        first: "2026-10-25T02:30+02:00",
        last: "2026-10-25T02:30+01:00",
      },
    ],
  },
  {
    name: "New York: working the whole 23-hour 2026-03-08 is 82,800 s and 34 real hours",
    rules: rules(0, NEW_YORK),
    specs: [
      ["2026-03-08T00:00-05:00", "w"],
      ["2026-03-09T00:00-04:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-03-08",
        workingSeconds: 82_800,
        realHours: 34,
        first: "2026-03-08T00:00-05:00",
        last: "2026-03-09T00:00-04:00",
      },
    ],
  },
  {
    name: "New York: working the whole 25-hour 2026-11-01 is 90,000 s and 37 real hours",
    rules: rules(0, NEW_YORK),
    specs: [
      ["2026-11-01T00:00-04:00", "w"],
      ["2026-11-02T00:00-05:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-11-01",
        workingSeconds: 90_000,
        realHours: 37,
        first: "2026-11-01T00:00-04:00",
        last: "2026-11-02T00:00-05:00",
      },
    ],
  },
  {
    name: "New York: 01:00 EDT to 01:20 EST across fall back is 80 minutes and 2 real hours",
    rules: rules(0, NEW_YORK),
    specs: [
      ["2026-11-01T01:00-04:00", "w"],
      ["2026-11-01T01:20-05:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-11-01",
        workingSeconds: 4800,
        realHours: 2,
        first: "2026-11-01T01:00-04:00",
        last: "2026-11-01T01:20-05:00",
      },
    ],
  },
  {
    name: "New York: a heartbeat stream across midnight and spring forward",
    rules: rules(15, NEW_YORK),
    // 23:50 EST on the 7th to 03:10 EDT on the 8th: 10 min on the 7th, 00:00–03:10 EDT is 2 h 10 min on the 8th.
    specs: [
      ["2026-03-07T23:50-05:00", "w"],
      ["2026-03-08T00:05-05:00", "w"],
      ["2026-03-08T00:20-05:00", "w"],
      ["2026-03-08T00:35-05:00", "w"],
      ["2026-03-08T00:50-05:00", "w"],
      ["2026-03-08T01:05-05:00", "w"],
      ["2026-03-08T01:20-05:00", "w"],
      ["2026-03-08T01:35-05:00", "w"],
      ["2026-03-08T01:50-05:00", "w"],
      ["2026-03-08T03:05-04:00", "w"],
      ["2026-03-08T03:10-04:00", "s"],
    ],
    toMs: at,
    days: [
      {
        date: "2026-03-07",
        workingSeconds: 600,
        realHours: 0,
        first: "2026-03-07T23:50-05:00",
        last: "2026-03-08T00:00-05:00",
      },
      {
        date: "2026-03-08",
        workingSeconds: 7800,
        realHours: 3,
        first: "2026-03-08T00:00-05:00",
        last: "2026-03-08T03:10-04:00",
      },
    ],
  },
  {
    name: "Dubai: a worked day — morning, a gap-split late morning, an evening over midnight",
    rules: rules(15),
    specs: [
      ["09:00", "w"],
      ["09:10", "w"],
      ["09:20", "w"],
      ["09:30", "w"],
      ["09:40", "w"],
      ["09:50", "w"],
      ["10:00", "w"],
      ["10:10", "w"],
      ["10:20", "w"],
      ["10:25", "s"],
      // 11:10 → 11:30 is 20 min of silence: 11:00–11:10, then 11:30–11:45.
      ["11:00", "w"],
      ["11:10", "w"],
      ["11:30", "w"],
      ["11:40", "w"],
      ["11:45", "s"],
      ["23:30", "w"],
      ["23:40", "w"],
      ["23:50", "w"],
      ["2026-03-03T00:00", "w"],
      ["2026-03-03T00:10", "w"],
      ["2026-03-03T00:20", "w"],
      ["2026-03-03T00:25", "s"],
    ],
    toMs: (time) => at(time.includes("T") ? `${time}+04:00` : `2026-03-02T${time}+04:00`),
    // 85 + 10 + 15 + 30 = 140 min on the 2nd, real hours 2 + 0 + 0 + 0; 25 min on the 3rd.
    days: [
      { date: "2026-03-02", workingSeconds: 8400, realHours: 2, first: "09:00", last: "2026-03-03T00:00" },
      { date: "2026-03-03", workingSeconds: 1500, realHours: 0, first: "2026-03-03T00:00", last: "2026-03-03T00:25" },
    ],
  },
  {
    name: "a stopped-only stream gives no day at all",
    rules: rules(15),
    specs: [
      ["09:00", "s"],
      ["09:05", "s"],
      ["17:00", "s"],
    ],
    days: [],
  },
  { name: "a lone heartbeat gives no day at all", rules: rules(15), specs: [["09:00", "w"]], days: [] },
];

describe("§5.6/5.7 day summaries: derivePieces + summarisePieces", () => {
  it.each(DAY_CASES)("$name", ({ rules: r, specs, toMs = dubai, days }) => {
    const list = events(specs, toMs);
    const expected = days.map((day) => ({ ...day, first: iso(toMs(day.first)), last: iso(toMs(day.last)) }));
    expect(daysOf(list, r)).toEqual(expected);
    for (let seed = 1; seed <= 5; seed++) expect(daysOf(shuffle(list, seed), r)).toEqual(expected);
  });

  it("summarises pieces given in any order, one row per date in date order", () => {
    const piece = (date: string, start: string, end: string): Piece => ({ date, start: at(start), end: at(end) });
    const pieces = [
      piece("2026-03-03", "2026-03-03T10:00+04:00", "2026-03-03T10:40+04:00"),
      piece("2026-03-02", "2026-03-02T15:00+04:00", "2026-03-02T15:20+04:00"),
      piece("2026-03-02", "2026-03-02T09:00+04:00", "2026-03-02T10:20:00.500+04:00"),
      piece("2026-03-03", "2026-03-03T08:00+04:00", "2026-03-03T08:39:59.999+04:00"),
    ];
    expect(summarisePieces(pieces, 40 * MINUTE)).toEqual([
      // 80 min 0.5 s + 20 min = 100 min 0.5 s → 6000 s; 2 + 0 real hours.
      {
        date: "2026-03-02",
        workingSeconds: 6000,
        realHours: 2,
        firstActivity: at("2026-03-02T09:00+04:00"),
        lastActivity: at("2026-03-02T15:20+04:00"),
      },
      // 40 min + 39:59.999 → 4799.999 s → 4799 s; 1 + 0 real hours.
      {
        date: "2026-03-03",
        workingSeconds: 4799,
        realHours: 1,
        firstActivity: at("2026-03-03T08:00+04:00"),
        lastActivity: at("2026-03-03T10:40+04:00"),
      },
    ]);
    expect(summarisePieces([], 40 * MINUTE)).toEqual([]);
  });
});

describe("lib/time", () => {
  it.each([
    ["2026-03-02T19:59:59.999Z", DUBAI, "2026-03-02"],
    ["2026-03-02T20:00:00.000Z", DUBAI, "2026-03-03"],
    ["2026-03-28T22:59:59.999Z", BERLIN, "2026-03-28"],
    ["2026-03-28T23:00:00.000Z", BERLIN, "2026-03-29"],
    ["2026-03-29T21:59:59.999Z", BERLIN, "2026-03-29"],
    ["2026-03-29T22:00:00.000Z", BERLIN, "2026-03-30"],
    ["2026-10-25T22:59:59.999Z", BERLIN, "2026-10-25"],
    ["2026-10-25T23:00:00.000Z", BERLIN, "2026-10-26"],
    ["2026-03-09T03:59:59.999Z", NEW_YORK, "2026-03-08"],
    ["2026-03-09T04:00:00.000Z", NEW_YORK, "2026-03-09"],
    ["2026-11-02T04:59:59.999Z", NEW_YORK, "2026-11-01"],
    ["2026-11-02T05:00:00.000Z", NEW_YORK, "2026-11-02"],
    ["2026-09-06T03:59:59.999Z", SANTIAGO, "2026-09-05"],
    ["2026-09-06T04:00:00.000Z", SANTIAGO, "2026-09-06"],
    ["2026-12-31T23:59:59.999Z", "UTC", "2026-12-31"],
    ["2027-01-01T00:00:00.000Z", "UTC", "2027-01-01"],
  ])("localDateOf(%s, %s) is %s", (instant, zone, date) => {
    expect(localDateOf(at(instant), zone)).toBe(date);
  });

  it.each([
    ["2026-03-02", DUBAI, "2026-03-01T20:00:00.000Z", 24],
    ["2026-03-28", BERLIN, "2026-03-27T23:00:00.000Z", 24],
    ["2026-03-29", BERLIN, "2026-03-28T23:00:00.000Z", 23],
    ["2026-03-30", BERLIN, "2026-03-29T22:00:00.000Z", 24],
    ["2026-10-25", BERLIN, "2026-10-24T22:00:00.000Z", 25],
    ["2026-10-26", BERLIN, "2026-10-25T23:00:00.000Z", 24],
    ["2026-03-08", NEW_YORK, "2026-03-08T05:00:00.000Z", 23],
    ["2026-03-09", NEW_YORK, "2026-03-09T04:00:00.000Z", 24],
    ["2026-11-01", NEW_YORK, "2026-11-01T04:00:00.000Z", 25],
    ["2026-11-02", NEW_YORK, "2026-11-02T05:00:00.000Z", 24],
    // Midnight does not exist on 2026-09-06 in Santiago: 00:00 -04 became 01:00 -03.
    ["2026-09-05", SANTIAGO, "2026-09-05T04:00:00.000Z", 24],
    ["2026-09-06", SANTIAGO, "2026-09-06T04:00:00.000Z", 23],
    ["2026-09-07", SANTIAGO, "2026-09-07T03:00:00.000Z", 24],
    // Santiago falls back at midnight: 2026-04-05 00:00 -03 became 2026-04-04 23:00 -04.
    ["2026-04-04", SANTIAGO, "2026-04-04T03:00:00.000Z", 25],
    ["2026-04-05", SANTIAGO, "2026-04-05T04:00:00.000Z", 24],
    // Samoa skipped 2011-12-30: it has no instants and begins where 2011-12-31 does.
    ["2011-12-29", APIA, "2011-12-29T10:00:00.000Z", 24],
    ["2011-12-30", APIA, "2011-12-30T10:00:00.000Z", 0],
    ["2011-12-31", APIA, "2011-12-30T10:00:00.000Z", 24],
  ])("startOfLocalDay(%s, %s) is %s, and the day lasts %d hours", (date, zone, start, hours) => {
    const first = startOfLocalDay(date, zone);
    expect(iso(first)).toBe(start);
    expect((startOfLocalDay(addDays(date, 1), zone) - first) / HOUR).toBe(hours);
    if (hours > 0) expect(localDateOf(first, zone)).toBe(date);
    expect(localDateOf(first - 1, zone) < date).toBe(true);
  });

  it("finds the first instant of every date for three years in zones with DST, odd offsets and midnight changes", () => {
    const zones = [
      DUBAI,
      BERLIN,
      NEW_YORK,
      SANTIAGO,
      "Australia/Lord_Howe",
      "Asia/Kathmandu",
      "America/Havana",
      "Asia/Beirut",
    ];
    for (const zone of zones) {
      for (let date = "2025-01-01"; date < "2028-01-01"; date = addDays(date, 1)) {
        const first = startOfLocalDay(date, zone);
        if (localDateOf(first, zone) !== date || localDateOf(first - 1, zone) >= date) {
          throw new Error(`${zone} ${date}: got ${iso(first)}`);
        }
      }
    }
  });

  it.each([
    ["2026-03-02", 1, "2026-03-03"],
    ["2026-03-02", 0, "2026-03-02"],
    ["2026-03-02", -2, "2026-02-28"],
    ["2026-02-28", 1, "2026-03-01"],
    ["2024-02-28", 1, "2024-02-29"],
    ["2024-02-29", 1, "2024-03-01"],
    ["2026-12-31", 1, "2027-01-01"],
    ["2027-01-01", -1, "2026-12-31"],
    ["2026-03-28", 2, "2026-03-30"],
    ["2026-01-31", 365, "2027-01-31"],
  ])("addDays(%s, %d) is %s", (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it.each([
    ["2026-03-02", true],
    ["2024-02-29", true],
    ["2000-01-01", true],
    ["9999-12-31", true],
    ["2026-02-29", false],
    ["2026-02-30", false],
    ["2026-04-31", false],
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-01-00", false],
    ["2026-1-01", false],
    ["2026-01-1", false],
    ["26-01-01", false],
    ["2026/01/01", false],
    ["2026-01-01T00:00", false],
    [" 2026-01-01", false],
    ["", false],
  ])("isLocalDate(%j) is %s", (text, expected) => {
    expect(isLocalDate(text)).toBe(expected);
  });
});

type WindowSpec = [minute: number, state: "w" | "s"];
const windowEvents = (specs: WindowSpec[]): HoursEvent[] =>
  specs.map(([minute, state], i) => ({
    id: i + 1,
    ts: Math.round(minute * MINUTE),
    state: state === "w" ? "working" : "stopped",
  }));

describe("lib/hours/window: where re-derivation may start and end", () => {
  // Events before `from`, newest first (at equal times stopped before working, as the engine reads them).
  it.each([
    {
      name: "no events before: more are needed (the caller falls back to the beginning)",
      before: [],
      from: 60,
      gap: 15,
      start: null,
    },
    {
      name: "a stopped event closes everything: start just after it",
      before: [
        [50, "s"],
        [40, "w"],
      ],
      from: 60,
      gap: 15,
      start: 50 * MINUTE + 1,
    },
    {
      name: "a stopped event deeper down",
      before: [
        [55, "w"],
        [50, "w"],
        [48, "s"],
      ],
      from: 60,
      gap: 15,
      start: 48 * MINUTE + 1,
    },
    {
      name: "stopped and working at one instant: the stopped one closes",
      before: [
        [50, "s"],
        [50, "w"],
      ],
      from: 60,
      gap: 15,
      start: 50 * MINUTE + 1,
    },
    {
      name: "a silence over GAP right before `from` starts the window at `from`",
      before: [[44, "w"]],
      from: 60,
      gap: 15,
      start: 60 * MINUTE,
    },
    {
      name: "a silence over GAP further back starts it at the event after the silence",
      before: [
        [55, "w"],
        [45, "w"],
        [20, "w"],
      ],
      from: 60,
      gap: 15,
      start: 45 * MINUTE,
    },
    {
      name: "a silence of exactly GAP is no closure",
      before: [
        [45, "w"],
        [30, "w"],
        [15, "w"],
      ],
      from: 60,
      gap: 15,
      start: null,
    },
    {
      name: "a silence of GAP + 1 ms is a closure",
      before: [
        [45, "w"],
        [30, "w"],
        [15 - 1 / MINUTE, "w"],
      ],
      from: 60,
      gap: 15,
      start: 30 * MINUTE,
    },
    {
      name: "GAP 0: silence is never a closure",
      before: [
        [10, "w"],
        [0, "w"],
      ],
      from: 600,
      gap: 0,
      start: null,
    },
    {
      name: "GAP 0: only a stopped event is",
      before: [
        [10, "w"],
        [5, "s"],
        [0, "w"],
      ],
      from: 600,
      gap: 0,
      start: 5 * MINUTE + 1,
    },
  ] as { name: string; before: WindowSpec[]; from: number; gap: number; start: number | null }[])(
    "findWindowStart: $name",
    ({ before, from, gap, start }) => {
      expect(findWindowStart(windowEvents(before), from * MINUTE, gap * MINUTE)).toBe(start);
    },
  );

  // Events after `to`, oldest first (at equal times working before stopped).
  it.each([
    {
      name: "no events after: more are needed (the caller falls back to the end)",
      after: [],
      to: 60,
      gap: 15,
      end: null,
    },
    { name: "a working event within GAP is not a closure", after: [[70, "w"]], to: 60, gap: 15, end: null },
    {
      name: "a silence over GAP right after `to` ends the window at `to`",
      after: [[76, "w"]],
      to: 60,
      gap: 15,
      end: 60 * MINUTE,
    },
    {
      name: "a stopped event ends it at that event",
      after: [
        [70, "s"],
        [80, "w"],
      ],
      to: 60,
      gap: 15,
      end: 70 * MINUTE,
    },
    {
      name: "working and stopped at one instant: both are inside",
      after: [
        [70, "w"],
        [70, "s"],
      ],
      to: 60,
      gap: 15,
      end: 70 * MINUTE,
    },
    {
      name: "a silence further on ends it at the event before the silence",
      after: [
        [65, "w"],
        [70, "w"],
        [90, "w"],
      ],
      to: 60,
      gap: 15,
      end: 70 * MINUTE,
    },
    {
      name: "a silence of exactly GAP is no closure",
      after: [
        [75, "w"],
        [90, "w"],
      ],
      to: 60,
      gap: 15,
      end: null,
    },
    {
      name: "GAP 0: silence is never a closure",
      after: [
        [100, "w"],
        [500, "w"],
      ],
      to: 60,
      gap: 0,
      end: null,
    },
    {
      name: "GAP 0: only a stopped event is",
      after: [
        [100, "w"],
        [600, "s"],
        [700, "w"],
      ],
      to: 60,
      gap: 0,
      end: 600 * MINUTE,
    },
  ] as { name: string; after: WindowSpec[]; to: number; gap: number; end: number | null }[])(
    "findWindowEnd: $name",
    ({ after, to, gap, end }) => {
      expect(findWindowEnd(windowEvents(after), to * MINUTE, gap * MINUTE)).toBe(end);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Properties of the pure rules, over random streams.

const ZONES = [DUBAI, BERLIN, NEW_YORK];
// Days near each zone's DST changes, so that random streams cross 23- and 25-hour days.
const BASE_DAYS = ["2026-03-02", "2026-03-07", "2026-03-28", "2026-10-24", "2026-10-31"];

const deltaArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 10 * MINUTE }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(5 * MINUTE, 5 * MINUTE + 1, 15 * MINUTE, 15 * MINUTE + 1, 40 * MINUTE, 40 * MINUTE - 1),
  },
  { weight: 3, arbitrary: fc.integer({ min: 10 * MINUTE, max: 3 * HOUR }) },
  { weight: 1, arbitrary: fc.integer({ min: 3 * HOUR, max: 20 * HOUR }) },
);

const streamArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    base: fc.constantFrom(...BASE_DAYS),
    gapMinutes: fc.constantFrom(0, 5, 15),
    offset: fc.integer({ min: -6 * HOUR, max: 30 * HOUR }),
    steps: fc.array(fc.record({ delta: deltaArb, working: fc.boolean(), stop: fc.integer({ min: 0, max: 3 }) }), {
      minLength: 1,
      maxLength: 60,
    }),
  })
  .map(({ zone, base, gapMinutes, offset, steps }) => {
    let ts = startOfLocalDay(base, zone) + offset;
    const list: HoursEvent[] = steps.map((step, i) => {
      ts += step.delta;
      // About one event in four is "stopped".
      return { id: i + 1, ts, state: step.working || step.stop > 0 ? "working" : "stopped" };
    });
    return { rules: rules(gapMinutes, zone), events: list };
  });

describe("properties of the rules", () => {
  it("§5.1 the result does not depend on the order the events arrived in", () => {
    fc.assert(
      fc.property(streamArb, fc.integer(), ({ rules: r, events: list }, seed) => {
        const expected = derivePieces(sorted(list), r);
        expect(derivePieces(sorted(shuffle(list, seed)), r)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("§5.6 pieces lie inside their local date, never overlap, and no day holds more than its hours", () => {
    fc.assert(
      fc.property(streamArb, ({ rules: r, events: list }) => {
        const periods = derivePeriods(sorted(list), r.gapMs);
        const pieces = derivePieces(sorted(list), r);
        for (let i = 1; i < periods.length; i++) expect(periods[i].start).toBeGreaterThanOrEqual(periods[i - 1].end);
        expect(pieces.reduce((sum, p) => sum + p.end - p.start, 0)).toBe(
          periods.reduce((sum, p) => sum + p.end - p.start, 0),
        );
        for (const piece of pieces) {
          expect(piece.end).toBeGreaterThan(piece.start);
          expect(piece.start).toBeGreaterThanOrEqual(startOfLocalDay(piece.date, r.timeZone));
          expect(piece.end).toBeLessThanOrEqual(startOfLocalDay(addDays(piece.date, 1), r.timeZone));
        }
        for (const day of summarisePieces(pieces, r.blockMs)) {
          const length = startOfLocalDay(addDays(day.date, 1), r.timeZone) - startOfLocalDay(day.date, r.timeZone);
          expect(day.workingSeconds * SECOND).toBeLessThanOrEqual(length);
          expect(day.realHours).toBeLessThanOrEqual(Math.floor(length / r.blockMs));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("§5.8 the engine's one-event-at-a-time derivation gives every piece, with the highest id inside it", () => {
    // Some events moved to the local midnight after them: an event on a piece's end belongs to it too.
    const withMidnights = fc
      .tuple(streamArb, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }))
      .map(([{ rules: r, events: list }, snap]) => ({
        rules: r,
        events: list.map((event, i) =>
          snap[i] && i % 3 === 0
            ? { ...event, ts: startOfLocalDay(addDays(localDateOf(event.ts, r.timeZone), 1), r.timeZone) }
            : event,
        ),
      }));
    fc.assert(
      fc.property(withMidnights, ({ rules: r, events: list }) => {
        const all = sorted(list);
        const expected = derivePieces(all, r).map((piece) => ({
          ...piece,
          lastEventId: Math.max(0, ...all.filter((e) => e.ts >= piece.start && e.ts <= piece.end).map((e) => e.id)),
        }));
        const deriver = createPieceDeriver(r);
        for (const event of all) deriver.add(event);
        expect(deriver.finish()).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("§5.8 re-deriving only the window around new events gives what deriving everything gives", () => {
    // The engine keeps stored pieces that start outside the window and re-derives the window's events.
    fc.assert(
      fc.property(
        streamArb,
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        ({ rules: r, events: list }, isNew) => {
          const all = sorted(list);
          const old = all.filter((_, i) => !isNew[i]);
          const fresh = all.filter((_, i) => isNew[i]);
          fc.pre(fresh.length > 0);
          const fromTs = Math.min(...fresh.map((e) => e.ts));
          const toTs = Math.max(...fresh.map((e) => e.ts));
          const start = findWindowStart(all.filter((e) => e.ts < fromTs).reverse(), fromTs, r.gapMs) ?? 0;
          const end =
            findWindowEnd(
              all.filter((e) => e.ts > toTs),
              toTs,
              r.gapMs,
            ) ?? Number.MAX_SAFE_INTEGER;
          expect(start).toBeLessThanOrEqual(fromTs);
          expect(end).toBeGreaterThanOrEqual(toTs);
          const kept = derivePieces(old, r).filter((p) => p.start < start || p.start > end);
          const window = derivePieces(
            all.filter((e) => e.ts >= start && e.ts <= end),
            r,
          );
          const incremental = [...kept, ...window].sort((a, b) => a.start - b.start);
          expect(incremental).toEqual(derivePieces(all, r));
        },
      ),
      { numRuns: 500 },
    );
  });
});
