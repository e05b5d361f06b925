// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { TrendChart, type TrendDay } from "@/app/_components/trend-chart";

const HOUR = 3600;
const TODAY = "2026-11-24";

/** November 2026: 7h 30m on each weekday before today, 3h today, 2h on Saturday the 7th, and nothing counted after today. */
function november(): TrendDay[] {
  return Array.from({ length: 30 }, (_, index) => {
    const date = `2026-11-${String(index + 1).padStart(2, "0")}`;
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
    let seconds = weekday === 0 || weekday === 6 ? 0 : 7.5 * HOUR;
    if (date === "2026-11-07") seconds = 2 * HOUR;
    if (date === TODAY) seconds = 3 * HOUR;
    if (date > TODAY) seconds = 5 * HOUR; // never drawn
    return { date, working_seconds: seconds, real_hours_counted: Math.floor(seconds / 2400) };
  });
}

const bars = (container: HTMLElement) => [...container.querySelectorAll<SVGRectElement>("rect[data-bar]")];

describe("TrendChart", () => {
  it("summarises the month for screen readers", () => {
    render(<TrendChart days={november()} today={TODAY} timeZone="Asia/Dubai" />);
    const chart = screen.getByRole("img");
    expect(chart.tagName.toLowerCase()).toBe("svg");
    // 16 weekdays × 7h 30m + 3h today + 2h on the 7th.
    expect(chart.getAttribute("aria-label")).toBe("Hours worked per day in November 2026: 125h 00m over 18 days");
    expect(chart.getAttribute("viewBox")).toBe("0 0 300 100");
    expect(chart.getAttribute("preserveAspectRatio")).toBe("none");
  });

  it("draws one bar per day up to today and none for days to come", () => {
    const { container } = render(<TrendChart days={november()} today={TODAY} timeZone="Asia/Dubai" />);
    expect(bars(container)).toHaveLength(24);
    expect(container.querySelector('[data-date="2026-11-25"]')).toBeNull();
    const titles = [...container.querySelectorAll("title")].map((title) => title.textContent);
    expect(titles).toContain("Mon 23 Nov: 7h 30m, 11 Real Work Hours");
    expect(titles).toContain("Tue 24 Nov: 3h 00m, 4 Real Work Hours");
    expect(titles).toContain("Sun 1 Nov: 0m, 0 Real Work Hours");
  });

  it("scales bars to the axis and mutes the weekend", () => {
    const { container } = render(<TrendChart days={november()} today={TODAY} timeZone="Asia/Dubai" />);
    expect(container.querySelector("[data-axis=max]")!.textContent).toBe("8h");
    const bar = (date: string) => container.querySelector(`[data-date="${date}"] rect[data-bar]`)!;
    expect(Number(bar("2026-11-23").getAttribute("height"))).toBeCloseTo((7.5 / 8) * 100, 5);
    expect(bar("2026-11-23").getAttribute("class")).toContain("fill-emerald-500");
    expect(bar("2026-11-07").getAttribute("class")).toContain("fill-slate-300");
    expect(bar(TODAY).getAttribute("class")).toContain("stroke-sky-500");
    expect(bar("2026-11-23").getAttribute("class")).not.toContain("stroke-sky-500");
  });

  it("raises the axis above a long day", () => {
    const days = november().map((day) => (day.date === "2026-11-10" ? { ...day, working_seconds: 11 * HOUR } : day));
    const { container } = render(<TrendChart days={days} today={TODAY} timeZone="Asia/Dubai" />);
    expect(container.querySelector("[data-axis=max]")!.textContent).toBe("12h");
  });

  it("draws the average of the days with work as a labelled dashed line", () => {
    const { container } = render(<TrendChart days={november()} today={TODAY} timeZone="Asia/Dubai" />);
    // 450 000 s over 18 active days = 25 000 s ≈ 6.94 h.
    const label = screen.getByText("avg 6.9h");
    // Placed by an attribute at the line's height: the pages' CSP blocks style attributes.
    expect(Number.parseFloat(label.getAttribute("y")!)).toBeCloseTo(100 - (25000 / HOUR / 8) * 100, 3);
    expect(container.querySelector("[style]")).toBeNull();
    const line = container.querySelector("line[data-average]")!;
    expect(line.getAttribute("data-average")).toBe("6.9");
    expect(line.getAttribute("stroke-dasharray")).toBeTruthy();
    expect(Number(line.getAttribute("y1"))).toBeCloseTo(100 - (25000 / HOUR / 8) * 100, 5);
  });

  it("has no average when nothing was worked", () => {
    const days = november().map((day) => ({ ...day, working_seconds: 0, real_hours_counted: 0 }));
    const { container } = render(<TrendChart days={days} today={TODAY} timeZone="Asia/Dubai" />);
    expect(container.querySelector("line[data-average]")).toBeNull();
    expect(screen.queryByText(/^avg/)).toBeNull();
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe(
      "Hours worked per day in November 2026: 0m over 0 days",
    );
  });

  it("links each drawn day when given hrefFor", () => {
    const { container } = render(
      <TrendChart
        days={november()}
        today={TODAY}
        timeZone="Asia/Dubai"
        hrefFor={(date) => `/reports/day?date=${date}`}
      />,
    );
    // Links may sit in a labelled group, not in an image (whose content is one picture).
    const chart = screen.getByRole("group", { name: /^Hours worked per day in November 2026/ });
    expect(chart.tagName.toLowerCase()).toBe("svg");
    expect(screen.queryByRole("img")).toBeNull();
    const links = [...container.querySelectorAll("a")];
    expect(links).toHaveLength(24);
    expect(links[22].getAttribute("href")).toBe("/reports/day?date=2026-11-23");
    expect(links[22].getAttribute("aria-label")).toBe("Mon 23 Nov: 7h 30m, 11 Real Work Hours");
  });

  it("uses plain groups without hrefFor", () => {
    const { container } = render(<TrendChart days={november()} today={TODAY} timeZone="Asia/Dubai" />);
    expect(container.querySelectorAll("a")).toHaveLength(0);
    expect(container.querySelectorAll("g[data-date]")).toHaveLength(24);
  });
});
