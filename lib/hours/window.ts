import type { HoursEvent } from "../users.ts";

/*
 * Which events must be re-derived when events in [from, to] change. Derivation runs left to
 * right and forgets everything at a closure point: right after a "stopped" event, or inside a
 * silence longer than the gap. So the window runs from the last closure before `from` to the
 * first one after `to`; periods outside it cannot change.
 */

/** Events before `from`, newest first; returns the window's first instant, or null if more are needed. */
export function findWindowStart(newestFirst: readonly HoursEvent[], from: number, gapMs: number): number | null {
  let later = from;
  for (const event of newestFirst) {
    if (event.state === "stopped") return event.ts + 1;
    if (gapMs > 0 && later - event.ts > gapMs) return later;
    later = event.ts;
  }
  return null;
}

/** Events after `to`, oldest first; returns the window's last instant (inclusive), or null if more are needed. */
export function findWindowEnd(oldestFirst: readonly HoursEvent[], to: number, gapMs: number): number | null {
  let earlier = to;
  for (const event of oldestFirst) {
    if (gapMs > 0 && event.ts - earlier > gapMs) return earlier;
    if (event.state === "stopped") return event.ts;
    earlier = event.ts;
  }
  return null;
}
