// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DeviceLanes, TimelineBars, type TimelineSpan } from "@/app/_components/timeline-bars";
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

const DAY_SECONDS = 86_400;
const tickLabels = (container: HTMLElement) =>
  [...container.querySelectorAll<HTMLElement>("[data-tick]")].map((tick) => tick.textContent);
const summaryOf = (lane: HTMLElement) => document.getElementById(lane.getAttribute("aria-describedby")!)?.textContent;

describe("TimelineBars", () => {
  it("places a period by its share of the day, in one image with a summary", () => {
    const period = spanOf(dubaiStart, "2026-11-24T05:00:00Z", "2026-11-24T08:30:00Z");
    render(<TimelineBars spans={[period]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />);
    const lane = screen.getByRole("img", { name: "Working periods" });
    expect(summaryOf(lane)).toBe("Drawn from 09:00 to 12:30 as 1 bar.");
    const { bars, marks } = readLane(lane);
    expect(bars).toHaveLength(1);
    expect(bars[0].x).toBeCloseTo(37.5, 2);
    expect(bars[0].width).toBeCloseTo(14.58, 2);
    expect(marks[0]).toBeCloseTo(37.5 + 14.58 / 2, 2);
    const fill = lane.querySelector("path[data-lane-bars]")!.getAttribute("class");
    expect(fill).toContain("fill-emerald-500");
    expect(fill).toContain("dark:fill-emerald-400");
    // Nothing is placed by a style attribute, which the pages' Content-Security-Policy blocks.
    expect(document.body.querySelector("[style]")).toBeNull();
    // One image: not a keyboard stop per bar.
    expect(document.body.querySelector("[tabindex]")).toBeNull();
  });

  it("follows real elapsed time on a 23-hour DST day", () => {
    const period = spanOf(berlinSpringStart, "2026-03-29T07:00:00Z", "2026-03-29T10:30:00Z"); // 09:00–12:30 CEST
    const { container } = render(
      <TimelineBars
        spans={[period]}
        dayStart={berlinSpringStart}
        dayEnd={berlinSpringEnd}
        timeZone="Europe/Berlin"
        label="j.smith's periods"
      />,
    );
    const lane = screen.getByRole("img", { name: "j.smith's periods" });
    expect(summaryOf(lane)).toBe("Drawn from 09:00 to 12:30 as 1 bar.");
    const [bar] = readLane(lane).bars;
    expect(bar.x).toBeCloseTo((8 / 23) * 100, 3);
    expect(bar.width).toBeCloseTo((3.5 / 23) * 100, 3);
    // 03:00 comes two real hours after midnight that day.
    const ticks = [...container.querySelectorAll<HTMLElement>("[data-tick]")];
    expect(ticks.map((tick) => tick.textContent)).toEqual(HOUR_LABELS);
    expect(percent(ticks[1].getAttribute("x"))).toBeCloseTo((2 / 23) * 100, 3);
    expect(percent(ticks[7].getAttribute("x"))).toBeCloseTo((20 / 23) * 100, 3);
  });

  it("labels every third hour of a normal day at even steps", () => {
    const { container } = render(
      <TimelineBars spans={[]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />,
    );
    expect(tickLabels(container)).toEqual(HOUR_LABELS);
    const positions = [...container.querySelectorAll<HTMLElement>("[data-tick]")].map((tick) =>
      percent(tick.getAttribute("x")),
    );
    expect(positions).toEqual([0, 12.5, 25, 37.5, 50, 62.5, 75, 87.5]);
  });

  it("labels the repeated hour of a 25-hour day once", () => {
    const start = Date.parse("2026-10-24T22:00:00Z");
    const end = Date.parse("2026-10-25T23:00:00Z");
    const { container } = render(<TimelineBars spans={[]} dayStart={start} dayEnd={end} timeZone="Europe/Berlin" />);
    const ticks = [...container.querySelectorAll<HTMLElement>("[data-tick]")];
    expect(ticks.map((tick) => tick.textContent)).toEqual(HOUR_LABELS);
    expect(percent(ticks[1].getAttribute("x"))).toBeCloseTo((4 / 25) * 100, 3);
  });

  it("keeps a very short period visible", () => {
    const period = spanOf(dubaiStart, "2026-11-24T05:00:00Z", "2026-11-24T05:00:20Z");
    render(<TimelineBars spans={[period]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />);
    const lane = screen.getByRole("img");
    // A 2px stroke through the bar's middle, whatever its width and however the lane is scaled.
    const marks = lane.querySelector("path[data-lane-marks]")!;
    expect(marks.getAttribute("class")).toContain("stroke-2");
    expect(marks.getAttribute("vector-effect")).toBe("non-scaling-stroke");
    expect(readLane(lane).marks[0]).toBeCloseTo(37.5, 1);
    expect(readLane(lane).bars[0].width).toBeCloseTo((20 / DAY_SECONDS) * 100, 4);
  });

  it("draws periods in time order and sums them up from the first to the last", () => {
    const spans = [
      spanOf(dubaiStart, "2026-11-24T10:00:00Z", "2026-11-24T12:00:00Z"),
      spanOf(dubaiStart, "2026-11-24T04:02:00Z", "2026-11-24T07:31:00Z"),
    ];
    render(<TimelineBars spans={spans} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />);
    const lane = screen.getByRole("img");
    const { bars } = readLane(lane);
    expect(bars.map((bar) => bar.x)).toEqual([
      expect.closeTo(((8 + 2 / 60) / 24) * 100, 4),
      expect.closeTo((14 / 24) * 100, 4),
    ]);
    expect(bars.map((bar) => bar.width)).toEqual([
      expect.closeTo(((3 + 29 / 60) / 24) * 100, 4),
      expect.closeTo((2 / 24) * 100, 4),
    ]);
    expect(summaryOf(lane)).toBe("Drawn from 08:02 to 16:00 as 2 bars.");
  });

  it("cuts a period that runs past the day's end at the track's edge", () => {
    render(
      <TimelineBars spans={[[23 * HOUR, 2 * HOUR]]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />,
    );
    const [bar] = readLane(screen.getByRole("img")).bars;
    expect(bar.x).toBeCloseTo((23 / 24) * 100, 4);
    expect(bar.x + bar.width).toBeCloseTo(100, 4);
  });

  it("draws a flooded day's 1,440 short periods, each where it falls, in a few dozen kilobytes", () => {
    // A day merged to the minute: a bar of 20 to 50 seconds in every minute.
    const spans: TimelineSpan[] = Array.from({ length: 1440 }, (_, i) => [
      i * 60_000 + (i % 7) * 1_003,
      20_000 + (i % 31) * 997,
    ]);
    const props = { spans, dayStart: dubaiStart, dayEnd: dubaiEnd, timeZone: "Asia/Dubai" };
    expect(renderToStaticMarkup(<TimelineBars {...props} now={dubaiStart + 12 * HOUR} />).length).toBeLessThan(40_000);
    render(<TimelineBars {...props} />);
    const lane = screen.getByRole("img");
    const { bars, marks } = readLane(lane);
    expect(bars).toHaveLength(1440);
    expect(marks).toHaveLength(1440);
    const at = (ms: number) => (Math.round(ms / 1000) / DAY_SECONDS) * 100;
    spans.forEach(([start, length], i) => {
      expect(bars[i].x, `bar ${i}`).toBeCloseTo(at(start), 6);
      expect(bars[i].x + bars[i].width, `bar ${i}`).toBeCloseTo(at(start + length), 6);
      expect(marks[i], `bar ${i}`).toBeCloseTo(at(start + length / 2), 6);
    });
    expect(summaryOf(lane)).toBe("Drawn from 00:00 to 23:59 as 1440 bars.");
  });

  it("says calmly when there is nothing to draw", () => {
    const { container } = render(
      <TimelineBars spans={[]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />,
    );
    expect(screen.getByText("No working periods on this day.")).toBeTruthy();
    expect(screen.queryByRole("img")).toBeNull();
    expect(container.querySelector("[data-now]")).toBeNull();
  });

  it("marks now only on the day that contains it", () => {
    const now = Date.parse("2026-11-24T10:30:00Z"); // 14:30 in Dubai
    const today = render(
      <TimelineBars spans={[]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" now={now} />,
    );
    const marker = today.container.querySelector<HTMLElement>("[data-now]")!;
    expect(marker).not.toBeNull();
    expect(marker.title).toBe("Now 14:30");
    expect(percent(marker.querySelector("line")!.getAttribute("x1"))).toBeCloseTo((14.5 / 24) * 100, 3);
    today.unmount();

    const yesterday = render(
      <TimelineBars spans={[]} dayStart={dubaiStart - 24 * HOUR} dayEnd={dubaiStart} timeZone="Asia/Dubai" now={now} />,
    );
    expect(yesterday.container.querySelector("[data-now]")).toBeNull();
  });
});

describe("DeviceLanes", () => {
  it("draws each device's periods on the day's scale, named, with the unnamed device called so", () => {
    render(
      <DeviceLanes
        lanes={[
          { device: "LAPTOP-7", spans: [spanOf(dubaiStart, "2026-11-24T05:00:00Z", "2026-11-24T06:00:00Z")] },
          { device: "", spans: [] },
        ]}
        dayStart={dubaiStart}
        dayEnd={dubaiEnd}
        timeZone="Asia/Dubai"
      />,
    );
    const laptop = screen.getByRole("img", { name: "Working periods on LAPTOP-7" });
    expect(summaryOf(laptop)).toBe("From 09:00 to 10:00 in 1 bar.");
    const { bars } = readLane(laptop);
    expect(bars).toHaveLength(1);
    expect(bars[0].x).toBeCloseTo(37.5, 2);
    expect(bars[0].width).toBeCloseTo(100 / 24, 2);
    expect(laptop.querySelector("path[data-lane-bars]")!.getAttribute("class")).toContain("fill-sky-500");
    const unnamed = screen.getByRole("img", { name: "Working periods on Unnamed device" });
    expect(summaryOf(unnamed)).toBe("No working periods on this device.");
    expect(screen.getByRole("list", { name: "Devices" }).textContent).toContain("Unnamed device");
    expect(document.body.querySelector("[style]")).toBeNull();
  });
});
