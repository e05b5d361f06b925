// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { TeamTimeline, type TeamTimelineRow } from "@/app/_components/team-timeline";
import type { TimelineSpan } from "@/app/_components/timeline-bars";
import {
  berlinSpringEnd,
  berlinSpringStart,
  dubaiEnd,
  dubaiStart,
  HOUR,
  HOUR_LABELS,
  percent,
  readLane,
  spanOf,
} from "../helpers/lanes";

const rowOf = (username: string, spans: TimelineSpan[], merged = false): TeamTimelineRow => ({
  username,
  href: `/employees/${username}?date=2026-11-24`,
  spans,
  merged,
});
const dubai = {
  dayStart: dubaiStart,
  dayEnd: dubaiEnd,
  timeZone: "Asia/Dubai",
  caption: "Working periods per employee",
};

// Ann 09:00–10:30 and 10:50–12:10, Bob nothing, Cy 13:00–17:00 (Dubai time).
const ann = rowOf("ann", [
  spanOf(dubaiStart, "2026-11-24T05:00:00Z", "2026-11-24T06:30:00Z"),
  spanOf(dubaiStart, "2026-11-24T06:50:00Z", "2026-11-24T08:10:00Z"),
]);
const bob = rowOf("bob", []);
const cy = rowOf("cy", [spanOf(dubaiStart, "2026-11-24T09:00:00Z", "2026-11-24T13:00:00Z")]);

describe("TeamTimeline", () => {
  it("draws one row per employee in the order given, each named and linked to their page", () => {
    render(<TeamTimeline {...dubai} rows={[cy, ann, bob]} />);
    const list = screen.getByRole("list", { name: "Working periods per employee" });
    const items = within(list).getAllByRole("listitem");
    expect(items.map((item) => item.getAttribute("data-username"))).toEqual(["cy", "ann", "bob"]);
    expect(within(items[1]).getByRole("link", { name: "ann" }).getAttribute("href")).toBe(
      "/employees/ann?date=2026-11-24",
    );
    // Each row's bars are one image, named by its periods; a row with none says so.
    expect(within(items[1]).getByRole("img").getAttribute("aria-label")).toBe("ann: 09:00–10:30, 10:50–12:10");
    expect(within(items[0]).getByRole("img", { name: "cy: 13:00–17:00" })).toBeDefined();
    expect(within(items[2]).queryByRole("img")).toBeNull();
    expect(items[2].textContent).toContain("no working periods");
    // Nothing is placed by a style attribute, which the pages' Content-Security-Policy blocks.
    expect(document.body.querySelector("[style]")).toBeNull();
  });

  it("places each bar by its share of the day, on one hour axis for every row", () => {
    const { container } = render(<TeamTimeline {...dubai} rows={[ann, cy]} />);
    const annBars = readLane(screen.getByRole("img", { name: /^ann/ })).bars;
    expect(annBars.map((bar) => bar.x)).toEqual([expect.closeTo(37.5, 3), expect.closeTo((10 + 50 / 60) / 0.24, 3)]);
    expect(annBars.map((bar) => bar.width)).toEqual([
      expect.closeTo((1.5 / 24) * 100, 3),
      expect.closeTo((80 / 60 / 24) * 100, 3),
    ]);
    const [cyBar] = readLane(screen.getByRole("img", { name: /^cy/ })).bars;
    expect([cyBar.x, cyBar.width]).toEqual([expect.closeTo((13 / 24) * 100, 3), expect.closeTo((4 / 24) * 100, 3)]);
    // The hour labels, drawn once above the rows.
    const ticks = [...container.querySelectorAll("[data-tick]")];
    expect(ticks.map((tick) => tick.textContent)).toEqual(HOUR_LABELS);
    expect(ticks.map((tick) => percent(tick.getAttribute("x")))).toEqual([0, 12.5, 25, 37.5, 50, 62.5, 75, 87.5]);
  });

  it("follows real elapsed time on a 23-hour DST day", () => {
    // 09:00–12:30 CEST comes 8 real hours after midnight, on a day of 23.
    const row = rowOf("dee", [spanOf(berlinSpringStart, "2026-03-29T07:00:00Z", "2026-03-29T10:30:00Z")]);
    const { container } = render(
      <TeamTimeline
        rows={[row]}
        dayStart={berlinSpringStart}
        dayEnd={berlinSpringEnd}
        timeZone="Europe/Berlin"
        caption="Team"
      />,
    );
    const [bar] = readLane(screen.getByRole("img", { name: "dee: 09:00–12:30" })).bars;
    expect(bar.x).toBeCloseTo((8 / 23) * 100, 3);
    expect(bar.width).toBeCloseTo((3.5 / 23) * 100, 3);
    const ticks = [...container.querySelectorAll("[data-tick]")];
    expect(ticks[1].textContent).toBe("03:00");
    expect(percent(ticks[1].getAttribute("x"))).toBeCloseTo((2 / 23) * 100, 3);
    expect(percent(ticks[7].getAttribute("x"))).toBeCloseTo((20 / 23) * 100, 3);
  });

  it("marks the present once across every row, and only on its own day", () => {
    const now = dubaiStart + 15 * HOUR;
    const { container, rerender } = render(<TeamTimeline {...dubai} rows={[ann, cy]} now={now} />);
    const marks = container.querySelectorAll("[data-now]");
    expect(marks).toHaveLength(1);
    expect(marks[0].getAttribute("data-now")).toBe(new Date(now).toISOString());
    expect(percent(marks[0].querySelector("line")!.getAttribute("x1"))).toBeCloseTo(62.5, 3);
    expect(screen.getByText("The blue line marks now, 15:00.")).toBeDefined();
    rerender(<TeamTimeline {...dubai} rows={[ann, cy]} now={dubaiEnd + HOUR} />);
    expect(container.querySelector("[data-now]")).toBeNull();
  });

  it("tells a bar's start, end and length when its row is reached by keyboard, and walks the bars with the arrows", () => {
    render(<TeamTimeline {...dubai} rows={[ann, bob, cy]} />);
    const status = screen.getByRole("status");
    const lane = screen.getByRole("img", { name: /^ann/ });
    // One keyboard stop per row with bars, not one per bar.
    expect(lane.getAttribute("tabindex")).toBe("0");
    expect(lane.classList).toContain("size-full");
    expect(document.querySelectorAll("[tabindex]")).toHaveLength(2);
    fireEvent.focus(lane);
    expect(status.textContent).toBe("ann: 09:00 – 10:30, 1h 30m (period 1 of 2)");
    // The bar told is outlined.
    expect(document.querySelectorAll("[data-hovered]")).toHaveLength(1);
    fireEvent.keyDown(lane, { key: "ArrowRight" });
    expect(status.textContent).toBe("ann: 10:50 – 12:10, 1h 20m (period 2 of 2)");
    fireEvent.keyDown(lane, { key: "ArrowRight" });
    expect(status.textContent).toContain("period 2 of 2");
    fireEvent.keyDown(lane, { key: "Home" });
    expect(status.textContent).toContain("period 1 of 2");
    fireEvent.blur(lane);
    expect(status.textContent).not.toContain("ann");
    expect(document.querySelectorAll("[data-hovered]")).toHaveLength(0);
  });

  it("redraws a row when the live refresh brings its new periods, keeping the bar being read", () => {
    const { rerender } = render(<TeamTimeline {...dubai} rows={[ann, cy]} />);
    const lane = screen.getByRole("img", { name: /^ann/ });
    fireEvent.focus(lane);
    fireEvent.keyDown(lane, { key: "End" });
    const later = { ...ann, spans: [...ann.spans, spanOf(dubaiStart, "2026-11-24T09:00:00Z", "2026-11-24T09:45:00Z")] };
    rerender(<TeamTimeline {...dubai} rows={[later, cy]} />);
    const redrawn = screen.getByRole("img", { name: "ann: 09:00–10:30, 10:50–12:10, 13:00–13:45" });
    expect(redrawn).toBe(lane);
    expect(readLane(redrawn).bars).toHaveLength(3);
    fireEvent.keyDown(redrawn, { key: "ArrowRight" });
    expect(screen.getByRole("status").textContent).toBe("ann: 13:00 – 13:45, 45m (period 3 of 3)");
  });

  it("names a long row's first periods and how many more, and a row drawn per quarter hour", () => {
    const spans: TimelineSpan[] = Array.from({ length: 12 }, (_, i) => [i * HOUR, 30 * 60_000]);
    render(<TeamTimeline {...dubai} rows={[rowOf("eve", spans, true)]} />);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe(
      "eve: 00:00–00:30, 01:00–01:30, 02:00–02:30, 03:00–03:30, 04:00–04:30, 05:00–05:30, 06:00–06:30, 07:00–07:30, and 4 more (per quarter hour)",
    );
  });

  it("draws a page of 100 employees of 96 bars each in a few hundred kilobytes", () => {
    const spans: TimelineSpan[] = Array.from({ length: 96 }, (_, i) => [i * 15 * 60_000 + 7_000, 11 * 60_000]);
    const rows = Array.from({ length: 100 }, (_, i) => rowOf(`employee-${String(i).padStart(3, "0")}`, spans, true));
    const html = renderToStaticMarkup(<TeamTimeline {...dubai} rows={rows} now={dubaiStart + 9 * HOUR} />);
    expect(html.length).toBeLessThan(400_000);
  });
});
