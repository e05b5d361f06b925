import { z } from "zod";
import { detailsOf, type ErrorDetail } from "../errors.ts";
import {
  EVENT_STATES,
  explainNameCharacters,
  MAX_AGENT_LENGTH,
  MAX_DEVICE_LENGTH,
  MAX_USERNAME_LENGTH,
  toDeviceKey,
  toUserKey,
  type EventState,
} from "../users.ts";

export const MAX_BATCH_EVENTS = 5000;
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_FUTURE_MS = 5 * 60 * 1000;
const DAY_MS = 86_400_000;
export const EARLIEST_TS = Date.UTC(2000, 0, 1);

// ISO 8601 date-time with a required zone: Z or ±hh:mm / ±hhmm / ±hh. Fractions beyond the
// millisecond (PowerShell's "o" format writes seven digits) are truncated.
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** Parses an ISO 8601 timestamp with a zone to epoch milliseconds, or explains why it cannot. */
export function parseTimestamp(text: string): { ms: number } | { error: string } {
  const m = ISO_TIMESTAMP.exec(text.trim());
  if (!m) {
    return { error: "ts must be an ISO 8601 date-time with Z or an offset, such as 2026-03-02T05:20:30Z" };
  }
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] ? Number(m[6]) : 0;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { error: `ts is not a real date and time: ${text.trim()}` };
  }
  let offsetMinutes = 0;
  if (!m[8]) {
    const offHours = Number(m[10]);
    const offMinutes = m[11] ? Number(m[11]) : 0;
    if (offHours > 18 || offMinutes > 59) return { error: "ts has an offset outside ±18:00" };
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  // Date.UTC reads years 0–99 as 1900–1999; such years fail the 2000-01-01 limit either way.
  // Plain arithmetic: on the ingest hot path a Date object per event is measurably slower.
  return { ms: Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000 };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** A name-like field (device, agent): trimmed, NFC, at most `max` characters, the names' character rules. */
function nameField(field: string, max: number) {
  return z
    .string({ error: `${field} must be a string` })
    .transform((value) => value.trim().normalize("NFC"))
    .pipe(
      z
        .string()
        .max(max, `${field} must be at most ${max} characters`)
        .refine((value) => value.isWellFormed(), `${field} must be valid Unicode text`)
        .check((ctx) => {
          const problem = explainNameCharacters(field, ctx.value);
          if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
        }),
    )
    .nullish();
}

const eventSchema = z.object(
  {
    user: z
      .string({ error: (issue) => (issue.input === undefined ? "user is required" : "user must be a string") })
      .transform((value) => value.trim().normalize("NFC"))
      .pipe(
        z
          .string()
          .min(1, "user must not be empty")
          .max(MAX_USERNAME_LENGTH, `user must be at most ${MAX_USERNAME_LENGTH} characters`)
          .refine((value) => value.isWellFormed(), "user must be valid Unicode text")
          .check((ctx) => {
            const problem = explainNameCharacters("user", ctx.value);
            if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
          }),
      ),
    state: z.enum(EVENT_STATES, {
      error: (issue) => (issue.input === undefined ? "state is required" : 'state must be "working" or "stopped"'),
    }),
    ts: z.string({ error: "ts must be a string such as 2026-03-02T05:20:30Z" }).nullish(),
    device: nameField("device", MAX_DEVICE_LENGTH),
    agent: nameField("agent", MAX_AGENT_LENGTH),
  },
  { error: "an event must be a JSON object with user, state and ts" },
);

/** A validated event, ready to store. */
export type ParsedEvent = {
  /** Case-folded username: Windows accounts compare case-insensitively. */
  userKey: string;
  /** The username as sent (trimmed): the first spelling seen becomes the display name. */
  username: string;
  state: EventState;
  /** Event time, epoch milliseconds UTC. */
  ts: number;
  /** Case-folded workstation name; '' (or missing) when the event names none, as the original agent. */
  deviceKey?: string;
  /** The workstation name as sent (trimmed): the first spelling seen is shown. */
  device?: string;
  /** The agent's version, or null when it sent none. */
  agent?: string | null;
};

export type EventCheck =
  { ok: true; event: ParsedEvent } | { ok: false; code: "invalid_event" | "event_too_old"; details: ErrorDetail[] };

/**
 * Validates one event; `now` is the receive time, used when ts is missing and for the future
 * limit. With `retentionDays`, an event older than the retention window is refused with its own
 * code: its raw neighbours may already be pruned, so it could no longer be derived exactly.
 */
export function checkEvent(input: unknown, now: number, retentionDays?: number): EventCheck {
  const parsed = eventSchema.safeParse(input);
  const details: ErrorDetail[] = parsed.success ? [] : detailsOf(parsed.error);
  let ts = now;
  const rawTs = parsed.success ? parsed.data.ts : (input as { ts?: unknown } | null)?.ts;
  if (typeof rawTs === "string") {
    const result = parseTimestamp(rawTs);
    if ("error" in result) details.push({ field: "ts", message: result.error });
    else if (result.ms > now + MAX_FUTURE_MS)
      details.push({ field: "ts", message: "ts is more than 5 minutes in the future" });
    else if (result.ms < EARLIEST_TS) details.push({ field: "ts", message: "ts is before 2000-01-01" });
    else ts = result.ms;
  }
  if (!parsed.success || details.length) return { ok: false, code: "invalid_event", details };
  if (retentionDays !== undefined && ts < now - retentionDays * DAY_MS)
    return {
      ok: false,
      code: "event_too_old",
      details: [{ field: "ts", message: `ts is older than the ${retentionDays}-day event retention window` }],
    };
  const { user, state, device, agent } = parsed.data;
  const event: ParsedEvent = { userKey: toUserKey(user), username: user, state, ts };
  // The unnamed device and a missing version are left out, as the original agent's events always were.
  if (device) {
    event.deviceKey = toDeviceKey(device);
    event.device = device;
  }
  if (agent) event.agent = agent;
  return { ok: true, event };
}
