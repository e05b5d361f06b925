// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { TimelineBars } from "@/app/_components/timeline-bars";

const HOUR = 3_600_000;
// Asia/Dubai is UTC+4 all year: 24 November 2026 runs from 20:00Z on the 23rd for 24 hours.
const dubaiStart = Date.parse("2026-11-23T20:00:00Z");
const dubaiEnd = dubaiStart + 24 * HOUR;
// Europe/Berlin springs forward on 29 March 2026 (02:00 → 03:00): a 23-hour day.
const berlinSpringStart = Date.parse("2026-03-28T23:00:00Z");
const berlinSpringEnd = Date.parse("2026-03-29T22:00:00Z");

const percent = (value: string | null) => Number.parseFloat(value ?? "");
/** A bar's drawn rectangle: its x and width attributes are shares of the day, in percent. */
const rectOf = (bar: HTMLElement) => bar.querySelector("rect[data-bar]")!;
const tickLabels = (container: HTMLElement) =>
  [...container.querySelectorAll<HTMLElement>("[data-tick]")].map((tick) => tick.textContent);

describe("TimelineBars", () => {
  it("places a period by its share of the day", () => {
    const period = { start: "2026-11-24T05:00:00Z", end: "2026-11-24T08:30:00Z" };
    render(<TimelineBars periods={[period]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />);
    const list = screen.getByRole("list", { name: "Working periods" });
    const [bar] = within(list).getAllByRole("listitem");
    expect(bar.getAttribute("aria-label")).toBe("09:00 – 12:30, 3h 30m");
    expect(bar.querySelector("title")?.textContent).toBe("09:00 – 12:30, 3h 30m");
    expect(bar.dataset.start).toBe(period.start);
    expect(bar.dataset.end).toBe(period.end);
    expect(percent(rectOf(bar).getAttribute("x"))).toBeCloseTo(37.5, 2);
    expect(percent(rectOf(bar).getAttribute("width"))).toBeCloseTo(14.58, 2);
    expect(rectOf(bar).getAttribute("class")).toContain("fill-emerald-500");
    expect(rectOf(bar).getAttribute("class")).toContain("dark:fill-emerald-400");
    expect(bar.querySelector("rect.group-focus-visible\\:opacity-100")?.getAttribute("class")).toContain(
      "stroke-sky-500/60",
    );
    expect(bar.tabIndex).toBe(0);
    // Nothing is placed by a style attribute, which the pages' Content-Security-Policy blocks.
    expect(document.body.querySelector("[style]")).toBeNull();
  });

  it("follows real elapsed time on a 23-hour DST day", () => {
    const period = { start: "2026-03-29T07:00:00Z", end: "2026-03-29T10:30:00Z" }; // 09:00–12:30 CEST
    const { container } = render(
      <TimelineBars
        periods={[period]}
        dayStart={berlinSpringStart}
        dayEnd={berlinSpringEnd}
        timeZone="Europe/Berlin"
        label="j.smith's periods"
      />,
    );
    const bar = screen.getByRole("listitem", { name: "09:00 – 12:30, 3h 30m" });
    expect(screen.getByRole("list", { name: "j.smith's periods" })).toBeTruthy();
    expect(percent(rectOf(bar).getAttribute("x"))).toBeCloseTo((8 / 23) * 100, 3);
    expect(percent(rectOf(bar).getAttribute("width"))).toBeCloseTo((3.5 / 23) * 100, 3);
    // 03:00 comes two real hours after midnight that day.
    const ticks = [...container.querySelectorAll<HTMLElement>("[data-tick]")];
    expect(ticks.map((tick) => tick.textContent)).toEqual([
      "00:00",
      "03:00",
      "06:00",
      "09:00",
      "12:00",
      "15:00",
      "18:00",
      "21:00",
    ]);
    expect(percent(ticks[1].getAttribute("x"))).toBeCloseTo((2 / 23) * 100, 3);
    expect(percent(ticks[7].getAttribute("x"))).toBeCloseTo((20 / 23) * 100, 3);
  });

  it("labels every third hour of a normal day at even steps", () => {
    const { container } = render(
      <TimelineBars periods={[]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />,
    );
    expect(tickLabels(container)).toEqual(["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]);
    const positions = [...container.querySelectorAll<HTMLElement>("[data-tick]")].map((tick) =>
      percent(tick.getAttribute("x")),
    );
    expect(positions).toEqual([0, 12.5, 25, 37.5, 50, 62.5, 75, 87.5]);
  });

  it("labels the repeated hour of a 25-hour day once", () => {
    const start = Date.parse("2026-10-24T22:00:00Z");
    const end = Date.parse("2026-10-25T23:00:00Z");
    const { container } = render(<TimelineBars periods={[]} dayStart={start} dayEnd={end} timeZone="Europe/Berlin" />);
    const ticks = [...container.querySelectorAll<HTMLElement>("[data-tick]")];
    expect(ticks.map((tick) => tick.textContent)).toEqual([
      "00:00",
      "03:00",
      "06:00",
      "09:00",
      "12:00",
      "15:00",
      "18:00",
      "21:00",
    ]);
    expect(percent(ticks[1].getAttribute("x"))).toBeCloseTo((4 / 25) * 100, 3);
  });

  it("keeps a very short period visible", () => {
    const period = { start: "2026-11-24T05:00:00Z", end: "2026-11-24T05:00:20Z" };
    render(<TimelineBars periods={[period]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />);
    const bar = screen.getByRole("listitem");
    // A 2px stroke through the bar's middle, whatever its width.
    const stroke = bar.querySelector("line[data-min-width]")!;
    expect(stroke.getAttribute("class")).toContain("stroke-2");
    expect(percent(stroke.getAttribute("x1"))).toBeCloseTo(37.5, 1);
    expect(bar.getAttribute("aria-label")).toBe("09:00 – 09:00, 0m");
  });

  it("lists periods in time order", () => {
    const periods = [
      { start: "2026-11-24T10:00:00Z", end: "2026-11-24T12:00:00Z" },
      { start: "2026-11-24T04:02:00Z", end: "2026-11-24T07:31:00Z" },
    ];
    render(<TimelineBars periods={periods} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />);
    expect(screen.getAllByRole("listitem").map((bar) => bar.getAttribute("aria-label"))).toEqual([
      "08:02 – 11:31, 3h 29m",
      "14:00 – 16:00, 2h 00m",
    ]);
  });

  it("says calmly when there is nothing to draw", () => {
    const { container } = render(
      <TimelineBars periods={[]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" />,
    );
    expect(screen.getByText("No working periods on this day.")).toBeTruthy();
    expect(screen.queryByRole("list")).toBeNull();
    expect(container.querySelector("[data-now]")).toBeNull();
  });

  it("marks now only on the day that contains it", () => {
    const now = Date.parse("2026-11-24T10:30:00Z"); // 14:30 in Dubai
    const today = render(
      <TimelineBars periods={[]} dayStart={dubaiStart} dayEnd={dubaiEnd} timeZone="Asia/Dubai" now={now} />,
    );
    const marker = today.container.querySelector<HTMLElement>("[data-now]")!;
    expect(marker).not.toBeNull();
    expect(marker.title).toBe("Now 14:30");
    expect(percent(marker.querySelector("line")!.getAttribute("x1"))).toBeCloseTo((14.5 / 24) * 100, 3);
    today.unmount();

    const yesterday = render(
      <TimelineBars
        periods={[]}
        dayStart={dubaiStart - 24 * HOUR}
        dayEnd={dubaiStart}
        timeZone="Asia/Dubai"
        now={now}
      />,
    );
    expect(yesterday.container.querySelector("[data-now]")).toBeNull();
  });
});
