import type { TimelineSpan } from "@/app/_components/timeline-bars";

export const HOUR = 3_600_000;
// Asia/Dubai is UTC+4 all year: 24 November 2026 runs from 20:00Z on the 23rd for 24 hours.
export const dubaiStart = Date.parse("2026-11-23T20:00:00Z");
export const dubaiEnd = dubaiStart + 24 * HOUR;
// Europe/Berlin springs forward on 29 March 2026 (02:00 → 03:00): a 23-hour day.
export const berlinSpringStart = Date.parse("2026-03-28T23:00:00Z");
export const berlinSpringEnd = Date.parse("2026-03-29T22:00:00Z");

export const percent = (value: string | null) => Number.parseFloat(value ?? "");
/** A period between two instants as the views give it: after the day's start, and how long. */
export const spanOf = (dayStart: number, start: string, end: string): TimelineSpan => [
  Date.parse(start) - dayStart,
  Date.parse(end) - Date.parse(start),
];

function commandsOf(path: Element): [string, number][] {
  return [...path.getAttribute("d")!.matchAll(/([a-zA-Z])([^a-zA-Z]*)/g)].map(([, command, args]) => [
    command,
    Number(/-?\d+(?:\.\d+)?/.exec(args)?.[0] ?? 0),
  ]);
}

/**
 * What a lane draws, read back from its two paths as shares of the day in percent: each filled
 * rectangle's left edge and width, and where each bar's minimum-width mark stands.
 */
export function readLane(lane: Element) {
  const units = Number(lane.getAttribute("viewBox")!.split(" ")[2]);
  const share = (n: number) => (n / units) * 100;
  const bars: { x: number; width: number }[] = [];
  let x = 0;
  for (const [command, n] of commandsOf(lane.querySelector("path[data-lane-bars]")!)) {
    if (command === "m") x += n;
    else if (command === "h") bars.push({ x: share(x), width: share(n) });
  }
  const marks: number[] = [];
  let mark = 0;
  for (const [command, n] of commandsOf(lane.querySelector("path[data-lane-marks]")!)) {
    if (command === "m") marks.push(share((mark += n)));
  }
  return { bars, marks };
}

/** The hour axis' labels on any day, DST or not: every third hour of the clock. */
export const HOUR_LABELS = ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"];
