import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";
import type { Rules } from "../config.ts";
import type { HoursEvent } from "../users.ts";

/** A span of continuous work, [start, end) in epoch milliseconds. */
export type Period = { start: number; end: number };

/** A period's part that falls on one local date. */
export type Piece = Period & { date: LocalDate };

export type DaySummary = {
  date: LocalDate;
  workingSeconds: number;
  realHours: number;
  firstActivity: number;
  lastActivity: number;
};

/** The rules the engine applies (the configuration's `rules`). */
export type HoursRules = Pick<Rules, "gapMs" | "blockMs" | "timeZone">;

/** DESIGN §5.1: by time; at equal times "working" before "stopped"; then by id. */
export function compareEvents(a: HoursEvent, b: HoursEvent): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.state !== b.state) return a.state === "working" ? -1 : 1;
  return a.id - b.id;
}

/**
 * DESIGN §5.2–5.5: the working periods of one user's events, which must be sorted with
 * compareEvents. Periods of no length (a lone heartbeat) hold no work and are left out.
 */
export function derivePeriods(events: readonly HoursEvent[], gapMs: number): Period[] {
  const periods: Period[] = [];
  let start = -1;
  let last = -1;
  const close = (end: number) => {
    if (end > start) periods.push({ start, end });
    start = -1;
  };
  for (const event of events) {
    if (start >= 0 && gapMs > 0 && event.ts - last > gapMs) close(last);
    if (event.state === "working") {
      if (start < 0) start = event.ts;
      last = event.ts;
    } else if (start >= 0) {
      close(event.ts);
    }
  }
  if (start >= 0) close(last);
  return periods;
}

/** DESIGN §5.6: cuts a period at each local midnight it crosses. */
export function splitAtMidnight(period: Period, timeZone: string): Piece[] {
  const pieces: Piece[] = [];
  let start = period.start;
  let date = localDateOf(start, timeZone);
  while (start < period.end) {
    const next = addDays(date, 1);
    const midnight = startOfLocalDay(next, timeZone);
    const end = Math.min(period.end, midnight);
    // A date the zone skips entirely has no instants, and so no piece.
    if (end > start) pieces.push({ date, start, end });
    start = end;
    date = next;
  }
  return pieces;
}

/** DESIGN §5.7: one summary per local date from that date's pieces. */
export function summarisePieces(pieces: readonly Piece[], blockMs: number): DaySummary[] {
  const byDate = new Map<LocalDate, { ms: number; realHours: number; first: number; last: number }>();
  for (const piece of pieces) {
    const length = piece.end - piece.start;
    const day = byDate.get(piece.date);
    if (!day) {
      byDate.set(piece.date, {
        ms: length,
        realHours: Math.floor(length / blockMs),
        first: piece.start,
        last: piece.end,
      });
      continue;
    }
    day.ms += length;
    day.realHours += Math.floor(length / blockMs);
    day.first = Math.min(day.first, piece.start);
    day.last = Math.max(day.last, piece.end);
  }
  return [...byDate]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, d]) => ({
      date,
      workingSeconds: Math.floor(d.ms / 1000),
      realHours: d.realHours,
      firstActivity: d.first,
      lastActivity: d.last,
    }));
}

/** Periods, cut into pieces by local date, for one user's sorted events. */
export function derivePieces(events: readonly HoursEvent[], rules: HoursRules): Piece[] {
  return derivePeriods(events, rules.gapMs).flatMap((period) => splitAtMidnight(period, rules.timeZone));
}
