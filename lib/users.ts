/*
 * The vocabulary every domain shares about the people the agents report on: how a username
 * becomes a user key, which names are acceptable, and the states and shape of an event as the
 * engine and the reports read it.
 */

export const MAX_USERNAME_LENGTH = 256;
export const MAX_DEVICE_LENGTH = 64;
export const MAX_AGENT_LENGTH = 32;

export const EVENT_STATES = ["working", "stopped"] as const;
export type EventState = (typeof EVENT_STATES)[number];

/** A stored event as the hours engine and the reports read it. */
export type HoursEvent = { id: number; ts: number; state: EventState };

// Control characters (C0, DEL, C1) and the line/paragraph separators: a username with one
// would corrupt logs, CSV exports and terminal output.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

// Direction overrides, embeddings, isolates and marks (they reorder what a supervisor reads)
// and characters that draw nothing (zero-width spaces and joiners, invisible operators, the
// BOM, soft hyphen, fillers): either makes a name that looks like another employee's.
const INVISIBLE_CHARS =
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]/u;

// A zero-width joiner between two emoji draws one picture (👨‍👩‍👧), never a look-alike letter.
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}[\u{1F3FB}-\u{1F3FF}\uFE0F]?)\u200d(?=\p{Extended_Pictographic})/gu;

/**
 * Why a name (a user's, a device's) breaks the character rules every name shares, or null when
 * it keeps them: no control characters, no invisible or direction-changing ones. The message
 * starts with `field` and names the offending code point, so whoever sent it can find it.
 */
export function explainNameCharacters(field: string, name: string): string | null {
  const control = CONTROL_CHARS.exec(name);
  if (control) return `${field} must not contain control characters (found ${codePointOf(control[0])})`;
  const invisible = INVISIBLE_CHARS.exec(name.replace(EMOJI_JOINER, ""));
  if (invisible)
    return `${field} must not contain invisible or direction-changing characters (found ${codePointOf(invisible[0])})`;
  return null;
}

const codePointOf = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** Case-folded username: Windows accounts compare case-insensitively. */
export function toUserKey(username: string): string {
  return username.trim().normalize("NFC").toLowerCase();
}

/** Case-folded workstation name: Windows computer names compare case-insensitively; '' is the unnamed device. */
export function toDeviceKey(device: string): string {
  return device.trim().normalize("NFC").toLowerCase();
}
