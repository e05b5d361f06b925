import type { EventState } from "@/lib/users";

/** An event as a test writes it: the instant as epoch milliseconds. */
export type Ev = { user: string; state: EventState; ts: number };

export const MIN = 60_000;
export const at = (iso: string) => Date.parse(iso);

/** Working heartbeats from `from` to `to`, both included, every `stepMinutes`. */
export function working(user: string, from: string, to: string, stepMinutes = 10): Ev[] {
  const events: Ev[] = [];
  for (let ts = at(from); ts <= at(to); ts += stepMinutes * MIN) events.push({ user, state: "working", ts });
  return events;
}

export const stopped = (user: string, ts: string): Ev => ({ user, state: "stopped", ts: at(ts) });
