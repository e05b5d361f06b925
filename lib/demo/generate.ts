// Demo data: employees, teams and the events their agents would have sent. Pure and seeded:
// the same options give the same events, and a later `now` repeats every earlier day's events,
// so a re-run sends mostly what the store already holds.
import { MAX_BATCH_EVENTS } from "../ingest/schema.ts";
import { type EventState } from "../users.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";

/** An event as an agent sends it; the demo's agents name their device and version (DESIGN §4). */
export type DemoEvent = { user: string; state: EventState; ts: string; device?: string; agent?: string };
export type DemoStatus = "working" | "idle" | "offline";
type DemoTeam = { name: string; members: string[] };
type DemoEmployee = { username: string; teams: string[]; statusAtNow: DemoStatus };

export type DemoOptions = {
  employees?: number;
  /** Local days of history, today included. */
  days?: number;
  seed?: number;
  /** The demo's clock (epoch ms): no event after it; today's statuses are arranged around it. */
  now?: number;
  /** The server's REPORT_TIMEZONE: working hours, weekends and "today" are local to it. */
  timeZone?: string;
  teams?: string[];
  /** The server's HEARTBEAT_TIMEOUT_MINUTES, so "offline" employees are silent for longer. */
  heartbeatTimeoutMinutes?: number;
  /** Events per batch, at most the ingest's limit. */
  batchSize?: number;
};

export type DemoData = {
  employees: DemoEmployee[];
  teams: DemoTeam[];
  /** A fresh pass over every event, employee after employee, each in time order. */
  batches(): Generator<DemoEvent[]>;
  /** About how many events batches() yields, from the plans alone (cheap). */
  estimateEvents(): number;
};

export const DEFAULT_DEMO_SEED = 20_260_301;
export const DEFAULT_DEMO_TEAMS = ["Engineering", "Support", "Sales", "Finance"];
/** The agent version the demo's devices run, and the older one a single device was left on. */
export const DEMO_AGENT = "2.4.0";
const OLD_DEMO_AGENT = "2.1.3";
/** The terminal server where one idle employee has left a session open, idle, today. */
const RDP_HOST = "RDS-01";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
// How report.ps1 reports with its defaults (client_tools/config.env.example), except a 5-minute
// idle threshold (the agent's default is 10): a poll a minute, a working heartbeat at each poll
// that saw input, and while idle a stopped heartbeat every 5 minutes.
const POLL_MS = 60 * SECOND;
const IDLE_THRESHOLD_MS = 5 * MINUTE;
const IDLE_REPORT_MS = 5 * MINUTE;

// ---------------------------------------------------------------------------------------------
// Randomness

/** mulberry32: tiny, fast and good enough to make plausible people. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a: every (seed, person, day) gets its own stream, so a day's plan never depends on which days are generated. */
function hashKey(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join("|");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Random = () => number;
const between = (rng: Random, lo: number, hi: number) => lo + rng() * (hi - lo);
const chance = (rng: Random, p: number) => rng() < p;
/** Roughly bell-shaped in [-spread, spread]: most days are close to a person's habit. */
const wobble = (rng: Random, spread: number) => (rng() + rng() + rng() - 1.5) * (spread / 1.5);

function shuffled<T>(items: T[], rng: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// People

const SURNAMES = [
  "hassan",
  "smith",
  "garcia",
  "nguyen",
  "kowalski",
  "okafor",
  "tanaka",
  "rossi",
  "muller",
  "dubois",
  "silva",
  "khan",
  "patel",
  "ivanova",
  "chen",
  "kim",
  "haddad",
  "larsen",
  "novak",
  "yilmaz",
  "santos",
  "obrien",
  "fernandez",
  "ali",
  "schmidt",
  "costa",
  "jensen",
  "morales",
  "nakamura",
  "andersen",
  "petrov",
  "mensah",
  "abdullah",
  "suzuki",
  "wang",
  "lopez",
  "martin",
  "bianchi",
  "horvat",
  "eriksson",
  "oconnor",
  "gupta",
  "kaya",
  "mwangi",
  "moreau",
  "nowak",
  "cohen",
  "park",
  "zhang",
  "adeyemi",
  "popescu",
  "sato",
  "rahman",
  "alvarez",
  "virtanen",
  "papadopoulos",
  "farouk",
  "lindqvist",
];
const INITIALS = "ajmlpcygsernfowhktdbizvqu".split("");

/** Windows-style logons (a.hassan, j.smith …): surnames first with varied initials, then digits. */
export function makeUsernames(count: number): string[] {
  const names: string[] = [];
  const used = new Set<string>();
  for (let round = 0; round < INITIALS.length && names.length < count; round++) {
    for (let s = 0; s < SURNAMES.length && names.length < count; s++) {
      const name = `${INITIALS[(s + round * 7) % INITIALS.length]}.${SURNAMES[s]}`;
      if (!used.has(name)) {
        used.add(name);
        names.push(name);
      }
    }
  }
  const base = [...names];
  for (let n = 2; names.length < count; n++) {
    for (const name of base) {
      if (names.length >= count) break;
      names.push(`${name}${n}`);
    }
  }
  return names;
}

/** The usual working day of each default team (local start window, in minutes after midnight). */
const TEAM_HOURS: Record<string, [number, number]> = {
  Support: [7 * 60, 8.5 * 60],
  Finance: [7.5 * 60, 9 * 60],
  Sales: [8 * 60, 9.5 * 60],
  Engineering: [8.5 * 60, 10 * 60],
};
const TEAM_WEIGHTS: Record<string, number> = { Engineering: 0.34, Support: 0.28, Sales: 0.22, Finance: 0.16 };

type Personality = {
  startMinute: number;
  dayMinutes: number;
  lunchMinute: number;
  lunchMinutes: number;
  partTime: boolean;
  /** Weekdays (1 = Monday … 5) a part-timer does not work. */
  daysOff: number[];
  eveningChance: number;
  weekendChance: number;
  meetingChance: number;
};

function describePerson(rng: Random, team: string | undefined): Personality {
  const [earliest, latest] = (team && TEAM_HOURS[team]) || [7 * 60, 10 * 60];
  const partTime = chance(rng, 0.15);
  const offDay = 1 + Math.floor(rng() * 5);
  return {
    startMinute: between(rng, earliest, latest),
    dayMinutes: partTime ? between(rng, 4 * 60, 5.5 * 60) : between(rng, 7.75 * 60, 9.5 * 60),
    lunchMinute: between(rng, 11.75 * 60, 13.25 * 60),
    lunchMinutes: chance(rng, 0.15) ? between(rng, 8, 15) : between(rng, 25, 60),
    partTime,
    daysOff: partTime ? (chance(rng, 0.5) ? [offDay] : [offDay, (offDay % 5) + 1]) : [],
    eveningChance: chance(rng, 0.25) ? between(rng, 0.12, 0.35) : 0.02,
    weekendChance: chance(rng, 0.1) ? between(rng, 0.15, 0.35) : 0.015,
    meetingChance: between(rng, 0.1, 0.6),
  };
}

/** Splits people over teams by weight; a few belong to two teams and a few to none. */
function assignTeams(usernames: string[], teamNames: string[], seed: number): Map<string, string[]> {
  const rng = createRandom(hashKey(seed, "teams"));
  const byUser = new Map<string, string[]>(usernames.map((name) => [name, []]));
  if (!teamNames.length) return byUser;
  const order = shuffled(usernames, rng);
  const few = usernames.length >= 5 ? Math.max(1, Math.round(usernames.length * 0.05)) : 0;
  const placed = order.slice(few);
  const weights = teamNames.map((name) => TEAM_WEIGHTS[name] ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  // Largest remainder, then at least one person per team while there are people to spare.
  const exact = weights.map((w) => (w / total) * placed.length);
  const sizes = exact.map(Math.floor);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0]);
  const short = placed.length - sizes.reduce((a, b) => a + b, 0);
  for (let k = 0; k < short; k++) sizes[byRemainder[k][1]]++;
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] > 0) continue;
    const donor = sizes.indexOf(Math.max(...sizes));
    if (sizes[donor] > 1) {
      sizes[donor]--;
      sizes[i]++;
    }
  }
  let next = 0;
  sizes.forEach((size, team) => {
    for (let k = 0; k < size; k++) byUser.get(placed[next++])!.push(teamNames[team]);
  });
  if (teamNames.length > 1) {
    for (const name of placed.slice(0, few)) {
      const first = teamNames.indexOf(byUser.get(name)![0]);
      byUser.get(name)!.push(teamNames[(first + 1 + Math.floor(rng() * (teamNames.length - 1))) % teamNames.length]);
    }
  }
  return byUser;
}

/** About half the people working at `now`, a fifth idle, the rest offline, whatever the hour. */
function assignStatuses(usernames: string[], seed: number): Map<string, DemoStatus> {
  const order = shuffled(usernames, createRandom(hashKey(seed, "status")));
  const working = Math.round(order.length * 0.5);
  const idle = Math.round(order.length * 0.2);
  return new Map(order.map((name, i) => [name, i < working ? "working" : i < working + idle ? "idle" : "offline"]));
}

// ---------------------------------------------------------------------------------------------
// Plans: when a PC is on (a sitting) and when its user touches it (inputs)

type Interval = [number, number];
type Sitting = { start: number; end: number; inputs: Interval[] };

/** Input from `from` to `to` with the short pauses (under the idle threshold) of real work. */
function fillInputs(rng: Random, from: number, to: number, out: Interval[]): void {
  let t = from;
  while (t < to) {
    const end = Math.min(t + between(rng, 6, 45) * MINUTE, to);
    const pause = chance(rng, 0.65) ? between(rng, 1, 4) * MINUTE : between(rng, 15, 50) * SECOND;
    if (end >= to || end + pause >= to - 2 * MINUTE) {
      out.push([t, to]);
      return;
    }
    out.push([t, end]);
    t = end + pause;
  }
}

/** Work from `start` to `end` (ms), away from the PC during `breaks` (each at least the idle threshold). */
function planSitting(rng: Random, start: number, end: number, breaks: Interval[], offAfterMs: number): Sitting {
  const inputs: Interval[] = [];
  let t = start;
  for (const [from, to] of breaks.sort((a, b) => a[0] - b[0])) {
    if (from < t + 10 * MINUTE || to > end - 10 * MINUTE) continue;
    fillInputs(rng, t, from, inputs);
    t = to;
  }
  fillInputs(rng, t, end, inputs);
  return { start, end: end + offAfterMs, inputs };
}

/** How long the PC stays on after the last input: shut down at once, locked then asleep, or left on a while. */
function offDelay(rng: Random): number {
  const r = rng();
  if (r < 0.35) return between(rng, 0.2, 3) * MINUTE;
  if (r < 0.8) return between(rng, 6, 20) * MINUTE;
  return between(rng, 20, 50) * MINUTE;
}

const weekdayOf = (date: LocalDate) => new Date(`${date}T00:00:00Z`).getUTCDay();
const epochDayOf = (date: LocalDate) => Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);

/** Planned leave: now and then a run of two to five weekdays within one week. */
function onLeave(seed: number, username: string, date: LocalDate): boolean {
  const epochDay = epochDayOf(date);
  const week = Math.floor((epochDay + 3) / 7);
  const rng = createRandom(hashKey(seed, username, "leave", week));
  if (!chance(rng, 0.07)) return false;
  const first = 1 + Math.floor(rng() * 4);
  const last = Math.min(5, first + 1 + Math.floor(rng() * 4));
  const weekday = weekdayOf(date);
  return weekday >= first && weekday <= last;
}

function planDay(seed: number, username: string, person: Personality, date: LocalDate, timeZone: string): Sitting[] {
  const rng = createRandom(hashKey(seed, username, date));
  const midnight = startOfLocalDay(date, timeZone);
  const at = (minute: number) => Math.round(midnight + minute * MINUTE);
  const weekday = weekdayOf(date);
  const sittings: Sitting[] = [];

  if (weekday === 0 || weekday === 6) {
    if (chance(rng, person.weekendChance)) {
      const start = between(rng, 9.5 * 60, 16 * 60);
      const length = between(rng, 45, 180);
      const coffee = start + between(rng, 30, Math.max(31, length - 30));
      sittings.push(
        planSitting(
          rng,
          at(start),
          at(start + length),
          [[at(coffee), at(coffee + between(rng, 6, 20))]],
          offDelay(rng),
        ),
      );
    }
    return sittings;
  }
  const sick = chance(rng, 0.015);
  if (sick || person.daysOff.includes(weekday) || onLeave(seed, username, date)) return sittings;

  const start = person.startMinute + wobble(rng, 25);
  const end = start + person.dayMinutes + wobble(rng, 45);
  const breaks: Interval[] = [];
  const lunch = person.lunchMinute + wobble(rng, 20);
  if (lunch > start + 90 && lunch + person.lunchMinutes < end - 60) {
    breaks.push([at(lunch), at(lunch + Math.max(8, person.lunchMinutes + wobble(rng, 8)))]);
  }
  if (chance(rng, 0.6)) {
    const coffee = start + between(rng, 70, 150);
    breaks.push([at(coffee), at(coffee + between(rng, 6, 15))]);
  }
  if (chance(rng, 0.5)) {
    const coffee = end - between(rng, 90, 180);
    breaks.push([at(coffee), at(coffee + between(rng, 6, 15))]);
  }
  if (chance(rng, person.meetingChance)) {
    const meeting = between(rng, start + 60, Math.max(start + 61, end - 120));
    breaks.push([at(meeting), at(meeting + between(rng, 25, 60))]);
  }
  // Overlapping breaks merge into one longer absence.
  breaks.sort((a, b) => a[0] - b[0]);
  const merged: Interval[] = [];
  for (const b of breaks) {
    const last = merged[merged.length - 1];
    if (last && b[0] <= last[1] + 10 * MINUTE) last[1] = Math.max(last[1], b[1]);
    else merged.push([...b]);
  }
  const day = planSitting(rng, at(start), at(end), merged, offDelay(rng));
  sittings.push(day);

  if (chance(rng, person.eveningChance)) {
    const evening = between(rng, 20 * 60, 21.75 * 60);
    if (at(evening) > day.end + 30 * MINUTE) {
      sittings.push(
        planSitting(rng, at(evening), at(evening + between(rng, 20, 90)), [], between(rng, 0.2, 10) * MINUTE),
      );
    }
  }
  return sittings;
}

// ---------------------------------------------------------------------------------------------
// Today: bend the last hours so the status at `now` is the one assigned

/** Keeps only what happened before `t`: later sittings go, the one spanning `t` loses its later input. */
function cutAt(sittings: Sitting[], t: number): Sitting[] {
  return sittings
    .filter((s) => s.start < t)
    .map((s) => ({ ...s, inputs: s.inputs.filter(([a]) => a < t).map(([a, b]): Interval => [a, Math.min(b, t)]) }));
}

/** The latest instant of the grid `phase + k·period` not after `t`. */
const onGrid = (t: number, period: number, phase: number) => Math.floor((t - phase) / period) * period + phase;

/**
 * Ends input at `lastInput` with the PC on until `pcOnUntil`: cut there when the plan has the
 * person typing, or else a session made up for it. Made-up sessions start on a per-person grid
 * so that a re-run a little later renders the same events again and adds only the new ones.
 */
function endInputAt(sittings: Sitting[], lastInput: number, pcOnUntil: number, rng: Random): Sitting[] {
  const busy = sittings.some((s) => s.inputs.some(([a, b]) => a <= lastInput - 3 * MINUTE && b >= lastInput));
  if (busy) {
    const kept = cutAt(sittings, lastInput);
    kept[kept.length - 1].end = pcOnUntil;
    return kept;
  }
  const sessionStart = onGrid(lastInput - 15 * MINUTE, 90 * MINUTE, rng() * 90 * MINUTE);
  const kept = cutAt(sittings, sessionStart - 10 * MINUTE);
  const inputs: Interval[] = [];
  fillInputs(rng, sessionStart, lastInput, inputs);
  const last = kept[kept.length - 1];
  if (last && last.end >= sessionStart - 10 * MINUTE) {
    last.inputs.push(...inputs);
    last.end = pcOnUntil;
  } else {
    kept.push({ start: sessionStart, end: pcOnUntil, inputs });
  }
  return kept;
}

/** Bends the last hour or two so the status at `now` is `status`, whatever the local time. */
function arrangeNow(rng: Random, sittings: Sitting[], status: DemoStatus, now: number, timeoutMs: number): Sitting[] {
  const phase = rng() * HOUR;
  if (status === "working") return endInputAt(sittings, now, now, rng);
  if (status === "idle") {
    // Away 12 to 57 minutes with the PC on: long enough for the stop and an idle heartbeat.
    return endInputAt(sittings, onGrid(now - 12 * MINUTE, 45 * MINUTE, phase), now, rng);
  }
  if (timeoutMs === 0) return sittings;
  const silentFrom = now - timeoutMs - MINUTE;
  if (sittings.every((s) => s.end <= silentFrom)) return sittings;
  const leftAt = onGrid(silentFrom - 5 * MINUTE, HOUR, phase);
  const kept = cutAt(sittings, leftAt);
  const last = kept[kept.length - 1];
  if (last && last.end > leftAt) last.end = Math.min(last.end, leftAt + rng() * 4 * MINUTE);
  return kept;
}

// ---------------------------------------------------------------------------------------------
// The agent: what report.ps1 sends for a sitting, poll by poll

/** Walks the polls of one sitting as the agent's state machine does (DESIGN §7). */
function* agentEvents(
  seed: number,
  user: string,
  sitting: Sitting,
  now: number,
  device: { device: string; agent: string },
): Generator<DemoEvent> {
  const rng = createRandom(hashKey(seed, user, "agent", sitting.start));
  const end = Math.min(sitting.end, now);
  const { inputs } = sitting;
  let mode: "unknown" | "working" | "stopped" = "unknown";
  let lastInput = sitting.start;
  let lastReportedInput = -Infinity;
  let lastWorkingReport = -Infinity;
  let lastIdleReport = -Infinity;
  let i = 0;
  const event = (state: EventState, ts: number): DemoEvent => ({
    user,
    state,
    ts: new Date(Math.floor(ts)).toISOString(),
    ...device,
  });

  // The same draws at every poll whatever the plan, so the events up to any instant depend only
  // on the input up to it: a re-run with a later `now` repeats them exactly.
  for (
    let poll = sitting.start + between(rng, 2, 20) * SECOND;
    poll <= end;
    poll += POLL_MS + Math.floor(rng() * 400)
  ) {
    const typedAgo = rng() * 12 * SECOND;
    while (i + 1 < inputs.length && inputs[i + 1][0] <= poll) i++;
    const [a, b] = inputs[i] ?? [sitting.start, sitting.start];
    // The latest input is a few seconds old while typing, never older than one already seen.
    const seen = poll >= a ? (poll <= b ? Math.max(a, poll - typedAgo) : b) : lastInput;
    lastInput = Math.max(lastInput, Math.floor(seen));
    if (poll - lastInput < IDLE_THRESHOLD_MS) {
      if (mode !== "working") {
        yield event("working", lastInput);
        mode = "working";
        lastWorkingReport = poll;
        lastReportedInput = lastInput;
      } else if (poll - lastWorkingReport >= POLL_MS - 500 && lastInput > lastReportedInput) {
        yield event("working", lastInput);
        lastWorkingReport = poll;
        lastReportedInput = lastInput;
      }
    } else if (mode === "working") {
      yield event("stopped", lastInput);
      mode = "stopped";
      lastIdleReport = poll;
    } else if (poll - lastIdleReport >= IDLE_REPORT_MS - 500) {
      yield event("stopped", poll);
      mode = "stopped";
      lastIdleReport = poll;
    }
  }
  // Switched off while still "working": the next start closes the run at its last input.
  if (mode === "working" && sitting.end < now) yield event("stopped", lastInput);
}

// ---------------------------------------------------------------------------------------------
// Devices: who works at which workstation, and with which agent

type DevicePlan = {
  /** The workstation of one sitting (a PC on, between start and end). */
  deviceOf(sitting: Sitting): { device: string; agent: string };
  /** An extra session left open and idle today, if this employee has one. */
  idleSession: boolean;
};

const DAY = 24 * HOUR;
// A device not heard from for this long is past the fleet page's default "silent" flag (7 days).
const RETIRED_BEFORE = 10 * DAY;

/**
 * Most people work at one PC. Every fourth has a laptop and a desktop, used on alternate days;
 * the third person's PC was left on an older agent; the fourth moved from an old laptop to a
 * new PC ten days ago, so the laptop has gone silent; the first idle person has an RDP session
 * left open, idle, on a terminal server, since soon after they began work today. Sittings never
 * overlap, so a person's events are the same whichever device each sitting is on.
 */
function planDevices(index: number, idleSession: boolean, now: number, timeZone: string): DevicePlan {
  const n = 1001 + index;
  const agent = index === 2 ? OLD_DEMO_AGENT : DEMO_AGENT;
  const single = { device: `WS-${n}`, agent };
  let deviceOf: DevicePlan["deviceOf"] = () => single;
  if (index % 4 === 1) {
    // Day about: the laptop on even local days, the desktop on odd ones, so a working week uses
    // both. Never a random pick: a week of sittings all on one would leave the other "silent".
    deviceOf = (sitting) =>
      (Date.parse(localDateOf(sitting.start, timeZone)) / DAY) % 2 === 0
        ? { device: `LT-${n}`, agent }
        : { device: `DT-${n}`, agent };
  } else if (index === 3) {
    deviceOf = (sitting) => (sitting.start < now - RETIRED_BEFORE ? { device: `LT-${n}`, agent } : single);
  }
  return { deviceOf, idleSession };
}

/**
 * The stopped heartbeats of a session opened 10 minutes after the person's first work on their
 * latest working day (today, or before it at night and on weekends) and left idle since: on a
 * fixed grid, so a later run repeats them, and a few seconds off the minute, so none falls on
 * an instant of the person's own events.
 */
function idleSessionEvents(user: string, own: DemoEvent[], now: number, timeZone: string): DemoEvent[] {
  const lastWork = own.findLast((e) => e.state === "working");
  if (!lastWork) return [];
  const day = localDateOf(Date.parse(lastWork.ts), timeZone);
  const dayStart = new Date(startOfLocalDay(day, timeZone)).toISOString();
  const firstWork = own.find((e) => e.state === "working" && e.ts >= dayStart)!;
  const from = Date.parse(firstWork.ts) + 10 * MINUTE;
  const events: DemoEvent[] = [];
  for (let t = onGrid(now, IDLE_REPORT_MS, 2_345); t >= from; t -= IDLE_REPORT_MS)
    events.unshift({ user, state: "stopped", ts: new Date(t).toISOString(), device: RDP_HOST, agent: DEMO_AGENT });
  return events;
}

/** Two streams of one person in time order (DESIGN §5.1: at equal times, working first). */
function mergeByTime(a: DemoEvent[], b: DemoEvent[]): DemoEvent[] {
  const merged: DemoEvent[] = [];
  let i = 0;
  let j = 0;
  const before = (x: DemoEvent, y: DemoEvent) => x.ts < y.ts || (x.ts === y.ts && x.state === "working");
  while (i < a.length || j < b.length)
    merged.push(j >= b.length || (i < a.length && before(a[i], b[j])) ? a[i++] : b[j++]);
  return merged;
}

// ---------------------------------------------------------------------------------------------

function checkOptions(options: DemoOptions) {
  const employees = options.employees ?? 24;
  const days = options.days ?? 30;
  const batchSize = options.batchSize ?? MAX_BATCH_EVENTS;
  if (!Number.isInteger(employees) || employees < 1)
    throw new RangeError(`employees must be a whole number of at least 1 (got ${employees})`);
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a whole number of at least 1 (got ${days})`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_EVENTS) {
    throw new RangeError(`batchSize must be between 1 and ${MAX_BATCH_EVENTS} (got ${batchSize})`);
  }
  return {
    employees,
    days,
    batchSize,
    seed: options.seed ?? DEFAULT_DEMO_SEED,
    now: Math.floor(options.now ?? Date.now()),
    timeZone: options.timeZone ?? "Asia/Dubai",
    teams: options.teams ?? DEFAULT_DEMO_TEAMS,
    timeoutMs: (options.heartbeatTimeoutMinutes ?? 15) * MINUTE,
  };
}

/** Plans a demo fleet: who works where, and (lazily) every event their agents send. */
export function generateDemo(options: DemoOptions = {}): DemoData {
  const o = checkOptions(options);
  const usernames = makeUsernames(o.employees);
  const teamsOf = assignTeams(usernames, o.teams, o.seed);
  const statusOf = assignStatuses(usernames, o.seed);
  const employees = usernames.map((username) => ({
    username,
    teams: teamsOf.get(username)!,
    statusAtNow: statusOf.get(username)!,
  }));
  const teams = o.teams.map((name) => ({
    name,
    members: employees.filter((e) => e.teams.includes(name)).map((e) => e.username),
  }));

  const today = localDateOf(o.now, o.timeZone);
  const dates = Array.from({ length: o.days }, (_, k) => addDays(today, k - o.days + 1));

  const firstIdle = employees.findIndex((e) => e.statusAtNow === "idle");
  const devices = employees.map((e, i) => planDevices(i, i === firstIdle, o.now, o.timeZone));
  const plan = (employee: DemoEmployee): Sitting[] => {
    const person = describePerson(createRandom(hashKey(o.seed, employee.username, "person")), employee.teams[0]);
    let sittings = dates.flatMap((date) => planDay(o.seed, employee.username, person, date, o.timeZone));
    // Days never overlap by plan; this only guards the hand-off between one day's evening and the next.
    sittings = sittings.filter((s, k) => k === 0 || s.start > sittings[k - 1].end);
    const rng = createRandom(hashKey(o.seed, employee.username, "today", today));
    return arrangeNow(rng, sittings, employee.statusAtNow, o.now, o.timeoutMs)
      .filter((s) => s.start < o.now && s.inputs.length > 0)
      .map((s) => ({ ...s, inputs: s.inputs.map(([a, b]): Interval => [a, Math.min(b, o.now)]) }));
  };

  return {
    employees,
    teams,
    *batches() {
      let batch: DemoEvent[] = [];
      for (const [i, employee] of employees.entries()) {
        const { deviceOf, idleSession } = devices[i];
        const own = (function* () {
          for (const sitting of plan(employee))
            yield* agentEvents(o.seed, employee.username, sitting, o.now, deviceOf(sitting));
        })();
        let events: Iterable<DemoEvent> = own;
        if (idleSession) {
          const mine = [...own];
          events = mergeByTime(mine, idleSessionEvents(employee.username, mine, o.now, o.timeZone));
        }
        for (const event of events) {
          batch.push(event);
          if (batch.length === o.batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length) yield batch;
    },
    estimateEvents() {
      let total = 0;
      for (const employee of employees) {
        for (const s of plan(employee)) {
          // A heartbeat a minute while typing, a stop and an idle heartbeat every 5 minutes when away.
          const inputMs = s.inputs.reduce((sum, [a, b]) => sum + (b - a), 0);
          const span = Math.min(s.end, o.now) - s.start;
          total += inputMs / POLL_MS + (span - inputMs) / IDLE_REPORT_MS + s.inputs.length / 3;
        }
      }
      return Math.round(total);
    },
  };
}
