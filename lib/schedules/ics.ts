import ICAL from "ical.js";
import { badRequest } from "../errors.ts";
import { addDays, type LocalDate } from "../time.ts";
import type { HolidayInput } from "./schemas.ts";

/** An .ics file larger than this is not a holiday calendar. */
export const MAX_ICS_BYTES = 1024 * 1024;
/** More holidays than this from one file is not a holiday calendar either. */
const MAX_HOLIDAYS = 2000;
/** A multi-day event longer than this (a "term" or "season") is not a run of holidays. */
const MAX_EVENT_DAYS = 31;
/** Occurrences looked at per recurring event: a yearly rule from 1900 is a few hundred; a runaway rule stops here. */
const MAX_OCCURRENCES = 5000;

export type IcsImport = {
  holidays: HolidayInput[];
  /** Events that were not whole days (meetings and the like), left out. */
  skipped: number;
};

type Time = InstanceType<typeof ICAL.Time>;

const pad = (n: number) => String(n).padStart(2, "0");
/** The event's own calendar date: its wall clock date, in whatever zone it was written. */
const dateOf = (time: Time): LocalDate => `${time.year}-${pad(time.month)}-${pad(time.day)}`;

const invalid = (reason: string) =>
  badRequest("invalid_calendar", `The file is not an iCalendar (.ics) file: ${reason}`, [
    { field: "file", message: reason },
  ]);

/** Outlook writes all-day events as midnight-to-midnight times in the calendar's zone, marked so. */
function isAllDay(event: InstanceType<typeof ICAL.Component>, start: Time): boolean {
  if (start.isDate) return true;
  const flag = event.getFirstPropertyValue("x-microsoft-cdo-alldayevent");
  return typeof flag === "string" && flag.toUpperCase() === "TRUE";
}

/**
 * Public holidays from an iCalendar file: every all-day event (and every day of a multi-day
 * one), with yearly and other recurrences expanded for the years from `range.from` to
 * `range.to`. Timed events are left out and counted. Anything that is not a calendar — bad
 * syntax, another kind of file, no events — is a 400 naming what is wrong.
 */
export function parseHolidayCalendar(text: string, range: { from: LocalDate; to: LocalDate }): IcsImport {
  if (Buffer.byteLength(text) > MAX_ICS_BYTES) throw invalid(`it is larger than ${MAX_ICS_BYTES / 1024} KiB`);
  if (!/^\s*BEGIN:VCALENDAR/i.test(text.replace(/^\uFEFF/, "")))
    throw invalid("it does not start with BEGIN:VCALENDAR");
  let root: InstanceType<typeof ICAL.Component>;
  try {
    root = new ICAL.Component(ICAL.parse(text.replace(/^\uFEFF/, "")) as unknown[]);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  if (root.name !== "vcalendar") throw invalid("its first component is not a VCALENDAR");
  const events = root.getAllSubcomponents("vevent");
  if (events.length === 0) throw invalid("it holds no events");

  const found = new Map<LocalDate, string>();
  let skipped = 0;
  const add = (date: LocalDate, name: string) => {
    if (date < range.from || date > range.to || found.has(date)) return;
    found.set(date, name);
    if (found.size > MAX_HOLIDAYS) throw invalid(`it holds more than ${MAX_HOLIDAYS} holidays in the years asked for`);
  };
  for (const component of events) {
    let event: InstanceType<typeof ICAL.Event>;
    let start: Time;
    try {
      event = new ICAL.Event(component);
      start = event.startDate;
    } catch (error) {
      throw invalid(`an event could not be read (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!start) throw invalid("an event has no DTSTART");
    if (!isAllDay(component, start)) {
      skipped++;
      continue;
    }
    const name = (event.summary ?? "").trim().slice(0, 200) || "Holiday";
    const end = event.endDate;
    // DTEND of an all-day event is the day after its last (exclusive); none means one day.
    const days = end ? Math.min(Math.max(1, daysFrom(dateOf(start), dateOf(end))), MAX_EVENT_DAYS) : 1;
    const addEvent = (first: LocalDate) => {
      for (let i = 0; i < days; i++) add(addDays(first, i), name);
    };
    if (!event.isRecurring()) {
      addEvent(dateOf(start));
      continue;
    }
    const occurrences = event.iterator();
    let seen = 0;
    for (let next = occurrences.next(); next && seen < MAX_OCCURRENCES; next = occurrences.next(), seen++) {
      const date = dateOf(next);
      if (date > range.to) break;
      addEvent(date);
    }
  }
  return {
    holidays: [...found]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([date, name]) => ({ date, name: name.replace(/[\p{Cc}\p{Cf}]/gu, " ").trim() || "Holiday" })),
    skipped,
  };
}

const daysFrom = (start: LocalDate, end: LocalDate) =>
  Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000);
