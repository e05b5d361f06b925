// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { formatDateRange } from "@/app/_components/format";
import { PeriodNav, shiftDate } from "@/app/_components/period-nav";

const { push } = vi.hoisted(() => ({ push: vi.fn() }));

vi.mock("next/navigation", async (importOriginal) => {
  const router = { push, replace: vi.fn(), prefetch: vi.fn(), back: vi.fn(), forward: vi.fn(), refresh: vi.fn() };
  return { ...(await importOriginal<typeof import("next/navigation")>()), useRouter: () => router };
});

beforeEach(() => push.mockClear());

const href = (name: string) => screen.getByRole("link", { name }).getAttribute("href");

/** The day before "today" in the Day report, as most cases here start. */
const renderDay = () =>
  render(
    <PeriodNav
      period="day"
      date="2026-11-25"
      start="2026-11-25"
      end="2026-11-25"
      today="2026-11-26"
      basePath="/reports/day"
    />,
  );

describe("shiftDate", () => {
  it("steps days and weeks across month and year ends", () => {
    expect(shiftDate("day", "2026-11-24", 1)).toBe("2026-11-25");
    expect(shiftDate("day", "2026-03-01", -1)).toBe("2026-02-28");
    expect(shiftDate("day", "2026-12-31", 1)).toBe("2027-01-01");
    expect(shiftDate("week", "2026-11-24", -1)).toBe("2026-11-17");
    expect(shiftDate("week", "2026-12-29", 1)).toBe("2027-01-05");
  });

  it("keeps the day of the month, clamped to the target month", () => {
    expect(shiftDate("month", "2026-11-24", 1)).toBe("2026-12-24");
    expect(shiftDate("month", "2026-03-31", -1)).toBe("2026-02-28");
    expect(shiftDate("month", "2024-03-31", -1)).toBe("2024-02-29");
    expect(shiftDate("month", "2026-01-31", 1)).toBe("2026-02-28");
    expect(shiftDate("month", "2026-12-15", 1)).toBe("2027-01-15");
    expect(shiftDate("month", "2026-01-15", -1)).toBe("2025-12-15");
  });

  it("ignores DST: each step is one calendar day", () => {
    expect(shiftDate("day", "2026-03-28", 1)).toBe("2026-03-29");
    expect(shiftDate("day", "2026-03-29", 1)).toBe("2026-03-30");
    expect(shiftDate("day", "2026-10-25", -1)).toBe("2026-10-24");
  });
});

describe("PeriodNav", () => {
  it("links to the previous and next day with the filters kept", () => {
    render(
      <PeriodNav
        period="day"
        date="2026-11-24"
        start="2026-11-24"
        end="2026-11-24"
        today="2026-11-26"
        basePath="/reports/day"
        params={{ q: "smith", team: "", sort: "hours" }}
      />,
    );
    const nav = screen.getByRole("navigation", { name: "Period" });
    expect(within(nav).getByText("Tuesday, 24 November 2026")).toBeTruthy();
    expect(href("Previous day")).toBe("/reports/day?date=2026-11-23&q=smith&sort=hours");
    expect(href("Next day")).toBe("/reports/day?date=2026-11-25&q=smith&sort=hours");
    expect(href("Today")).toBe("/reports/day?date=2026-11-26&q=smith&sort=hours");
    expect(screen.getByRole("link", { name: "Today" }).getAttribute("aria-current")).toBeNull();
  });

  it("titles a week by its range and marks Today current inside it", () => {
    render(
      <PeriodNav
        period="week"
        date="2026-11-25"
        start="2026-11-23"
        end="2026-11-29"
        today="2026-11-26"
        basePath="/reports/week"
      />,
    );
    expect(screen.getByText(`Week of ${formatDateRange("2026-11-23", "2026-11-29")}`)).toBeTruthy();
    expect(href("Previous week")).toBe("/reports/week?date=2026-11-18");
    expect(href("Next week")).toBe("/reports/week?date=2026-12-02");
    expect(screen.getByRole("link", { name: "Today" }).getAttribute("aria-current")).toBe("date");
  });

  it("steps a month to the same day, clamped", () => {
    render(
      <PeriodNav
        period="month"
        date="2026-03-31"
        start="2026-03-01"
        end="2026-03-31"
        today="2026-11-26"
        basePath="/employees/j.smith"
      />,
    );
    expect(screen.getByText("March 2026")).toBeTruthy();
    expect(href("Previous month")).toBe("/employees/j.smith?date=2026-02-28");
    expect(href("Next month")).toBe("/employees/j.smith?date=2026-04-30");
  });

  it("goes to a picked date through the router", () => {
    render(
      <PeriodNav
        period="week"
        date="2026-11-25"
        start="2026-11-23"
        end="2026-11-29"
        today="2026-11-26"
        basePath="/reports/week"
        params={{ q: "smith" }}
      />,
    );
    const input = screen.getByLabelText<HTMLInputElement>("Go to date");
    expect(input.type).toBe("date");
    expect(input.value).toBe("2026-11-25");
    expect(input.max).toBe("");
    fireEvent.change(input, { target: { value: "2026-05-01" } });
    expect(push).toHaveBeenCalledExactlyOnceWith("/reports/week?date=2026-05-01&q=smith");
  });

  it("does not navigate on a half-typed or cleared date", () => {
    renderDay();
    const input = screen.getByLabelText<HTMLInputElement>("Go to date");
    fireEvent.change(input, { target: { value: "0002-11-25" } });
    fireEvent.change(input, { target: { value: "" } });
    expect(push).not.toHaveBeenCalled();
  });

  it("keeps the picker, and the reader's focus in it, when the date it chose arrives", () => {
    const day = (date: string) => (
      <PeriodNav period="day" date={date} start={date} end={date} today="2026-11-26" basePath="/reports/day" />
    );
    const { rerender } = render(day("2026-11-25"));
    const input = screen.getByLabelText<HTMLInputElement>("Go to date");
    // Stepped from the keyboard: the page follows, the field stays the same one, still focused.
    input.focus();
    fireEvent.change(input, { target: { value: "2026-11-24" } });
    rerender(day("2026-11-24"));
    expect(screen.getByLabelText("Go to date")).toBe(input);
    expect(document.activeElement).toBe(input);
    expect(input.value).toBe("2026-11-24");
    // Moved by a link while the field is left alone: it shows the new date.
    input.blur();
    rerender(day("2026-11-17"));
    expect(input.value).toBe("2026-11-17");
  });

  it("waits for Enter, or leaving the field, before going to a date typed or stepped by key", () => {
    renderDay();
    const input = screen.getByLabelText<HTMLInputElement>("Go to date");
    input.focus();
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.change(input, { target: { value: "2026-11-24" } });
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.change(input, { target: { value: "2026-11-23" } });
    expect(push).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: "Enter" });
    expect(push).toHaveBeenCalledExactlyOnceWith("/reports/day?date=2026-11-23");

    push.mockClear();
    fireEvent.keyDown(input, { key: "2" });
    fireEvent.change(input, { target: { value: "2026-02-23" } });
    expect(push).not.toHaveBeenCalled();
    fireEvent.blur(input);
    expect(push).toHaveBeenCalledExactlyOnceWith("/reports/day?date=2026-02-23");
  });

  it("moves with Alt+Arrow keys from anywhere but a field being typed in", () => {
    render(
      <PeriodNav
        period="day"
        date="2026-11-24"
        start="2026-11-24"
        end="2026-11-24"
        today="2026-11-26"
        basePath="/reports/day"
        params={{ q: "smith" }}
      />,
    );
    fireEvent.keyDown(document.body, { key: "ArrowLeft", altKey: true });
    expect(push).toHaveBeenLastCalledWith("/reports/day?date=2026-11-23&q=smith");
    fireEvent.keyDown(document.body, { key: "ArrowRight", altKey: true });
    expect(push).toHaveBeenLastCalledWith("/reports/day?date=2026-11-25&q=smith");
    expect(push).toHaveBeenCalledTimes(2);

    fireEvent.keyDown(document.body, { key: "ArrowRight" });
    fireEvent.keyDown(document.body, { key: "ArrowRight", altKey: true, ctrlKey: true });
    fireEvent.keyDown(screen.getByLabelText("Go to date"), { key: "ArrowLeft", altKey: true });
    const search = document.body.appendChild(document.createElement("input"));
    fireEvent.keyDown(search, { key: "ArrowLeft", altKey: true });
    search.remove();
    expect(push).toHaveBeenCalledTimes(2);
  });

  it("stops listening once gone", () => {
    const { unmount } = render(
      <PeriodNav
        period="day"
        date="2026-11-24"
        start="2026-11-24"
        end="2026-11-24"
        today="2026-11-26"
        basePath="/reports/day"
      />,
    );
    unmount();
    fireEvent.keyDown(document.body, { key: "ArrowLeft", altKey: true });
    expect(push).not.toHaveBeenCalled();
  });

  it("has focus rings on every control", () => {
    render(
      <PeriodNav
        period="day"
        date="2026-11-24"
        start="2026-11-24"
        end="2026-11-24"
        today="2026-11-26"
        basePath="/reports/day"
      />,
    );
    for (const control of [...screen.getAllByRole("link"), screen.getByLabelText("Go to date")]) {
      expect(control.className).toContain("focus-visible:ring-sky-500/50");
    }
  });
});
