/*
 * The vocabulary every domain shares about the people the agents report on: how a username
 * becomes a user key, which names are acceptable, and the states and shape of an event as the
 * engine and the reports read it.
 */

export const MAX_USERNAME_LENGTH = 256;

export const EVENT_STATES = ["working", "stopped"] as const;
export type EventState = (typeof EVENT_STATES)[number];

/** A stored event as the hours engine and the reports read it. */
export type HoursEvent = { id: number; ts: number; state: EventState };

// Control characters (C0, DEL, C1) and the line/paragraph separators: a username with one
// would corrupt logs, CSV exports and terminal output.
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Case-folded username: Windows accounts compare case-insensitively. */
export function toUserKey(username: string): string {
  return username.trim().normalize("NFC").toLowerCase();
}
