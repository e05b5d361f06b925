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

/** A piece as stored: with the highest id of the events inside it, ends included (§5.8). */
export type StoredPiece = Piece & { lastEventId: number };

/** One local date an open period has reached: [from, to) and the highest ids seen in it. */
type DaySeen = { date: LocalDate; from: number; to: number; maxId: number; maxIdAtFrom: number };

/**
 * derivePeriods, cut at midnight, one event at a time (events in compareEvents order), so that
 * a window of any size is read as a stream and never held. Gives what derivePieces gives, with
 * each piece's last event id.
 */
export function createPieceDeriver(rules: Pick<HoursRules, "gapMs" | "timeZone">) {
  const pieces: StoredPiece[] = [];
  let start = -1;
  let last = -1;
  // A period closed by a "stopped" event stays pending: later "stopped" events at that same
  // instant still belong to its last piece.
  let closedAt = -1;
  let days: DaySeen[] = [];

  const note = (event: HoursEvent) => {
    let day = days.at(-1);
    if (!day || event.ts >= day.to) {
      const date = localDateOf(event.ts, rules.timeZone);
      const from = startOfLocalDay(date, rules.timeZone);
      day = { date, from, to: startOfLocalDay(addDays(date, 1), rules.timeZone), maxId: 0, maxIdAtFrom: 0 };
      days.push(day);
    }
    day.maxId = Math.max(day.maxId, event.id);
    if (event.ts === day.from) day.maxIdAtFrom = Math.max(day.maxIdAtFrom, event.id);
  };
  const emit = (end: number) => {
    const [day] = days;
    // Most periods lie inside one date already seen: no need to look up the zone again.
    const inOneDay = days.length === 1 && start >= day.from && end < day.to;
    const cut = inOneDay
      ? end > start
        ? [{ date: day.date, start, end }]
        : []
      : splitAtMidnight({ start, end }, rules.timeZone);
    for (const piece of cut) {
      let lastEventId = days.find((day) => day.date === piece.date)?.maxId ?? 0;
      const next = days.find((day) => day.from === piece.end);
      if (next) lastEventId = Math.max(lastEventId, next.maxIdAtFrom);
      // A literal, not a spread: V8 builds a spread object three times as large, and there may be very many.
      pieces.push({ date: piece.date, start: piece.start, end: piece.end, lastEventId });
    }
    start = -1;
    closedAt = -1;
    days = [];
  };

  return {
    add(event: HoursEvent): void {
      if (closedAt >= 0) {
        if (event.ts === closedAt) return note(event);
        emit(closedAt);
      }
      if (start >= 0 && rules.gapMs > 0 && event.ts - last > rules.gapMs) emit(last);
      if (event.state === "working") {
        if (start < 0) start = event.ts;
        last = event.ts;
        note(event);
      } else if (start >= 0) {
        note(event);
        closedAt = event.ts;
      }
    },
    /** The pieces of every period, once the last event has been added. */
    finish(): StoredPiece[] {
      if (closedAt >= 0) emit(closedAt);
      else if (start >= 0) emit(last);
      return pieces;
    },
  };
}

/**
 * DESIGN §5.6: the union of several devices' pieces, added in order of start. Pieces lie inside
 * one local date each, so overlapping or touching pieces of one date become one piece, with the
 * highest last event id among them; pieces of two dates stay cut at their midnight.
 */
export function createPieceMerger() {
  const merged: StoredPiece[] = [];
  let current: StoredPiece | undefined;
  return {
    add(piece: StoredPiece): void {
      if (current && piece.date === current.date && piece.start <= current.end) {
        current.end = Math.max(current.end, piece.end);
        current.lastEventId = Math.max(current.lastEventId, piece.lastEventId);
        return;
      }
      current = { date: piece.date, start: piece.start, end: piece.end, lastEventId: piece.lastEventId };
      merged.push(current);
    },
    finish: (): StoredPiece[] => merged,
  };
}
