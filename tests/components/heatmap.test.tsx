// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { pickBucket, Heatmap, type HeatmapRow } from "@/app/_components/heatmap";

const HOUR = 3600;
const WEEK = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"];
const cell = (working_seconds: number, real_hours_counted = Math.floor(working_seconds / 2400)) => ({
  working_seconds,
  real_hours_counted,
});

const smith: HeatmapRow = {
  username: "j.smith",
  href: "/employees/j.smith?date=2026-11-25",
  cells: [cell(9 * HOUR), cell(7 * HOUR + 32 * 60, 11), cell(HOUR), cell(0), cell(0), cell(0), cell(0)],
  working_seconds: 17 * HOUR + 32 * 60,
  real_hours_counted: 24,
};
const doe: HeatmapRow = {
  username: "a.doe",
  href: "/employees/a.doe",
  cells: [cell(0), cell(3 * HOUR), cell(5 * HOUR), cell(0), cell(0), cell(0), cell(0)],
  working_seconds: 8 * HOUR,
  real_hours_counted: 12,
};

const renderWeek = () =>
  render(
    <Heatmap days={WEEK} rows={[smith, doe]} today="2026-11-25" caption="Hours worked, week of 23 – 29 Nov 2026" />,
  );

describe("Heatmap", () => {
  it("is a table with one column per day plus the employee and the totals", () => {
    renderWeek();
    const table = screen.getByRole("table", { name: "Hours worked, week of 23 – 29 Nov 2026" });
    const headers = within(table).getAllByRole("columnheader");
    expect(headers).toHaveLength(WEEK.length + 3);
    expect(headers[0].textContent).toBe("Employee");
    expect(headers[1].textContent).toContain("Mon 23 Nov");
    expect(headers.at(-2)!.textContent).toBe("Worked");
    expect(headers.at(-1)!.textContent).toBe("Real hours");
    expect(within(table).getAllByRole("row")).toHaveLength(3);
  });

  it("shades each day by hours worked, in six steps", () => {
    expect(
      [0, 1, 2 * HOUR - 1, 2 * HOUR, 4 * HOUR, 6 * HOUR - 1, 6 * HOUR, 8 * HOUR - 1, 8 * HOUR, 14 * HOUR].map(
        pickBucket,
      ),
    ).toEqual([0, 1, 1, 2, 3, 3, 4, 4, 5, 5]);
    renderWeek();
    const nine = screen.getByRole("img", { name: "j.smith, Mon 23 Nov: 9h 00m, 13 Real Work Hours" });
    expect(nine.dataset.bucket).toBe("5");
    expect(nine.dataset.seconds).toBe(String(9 * HOUR));
    expect(nine.className).toContain("hm-5");
    const one = screen.getByRole("img", { name: "j.smith, Wed 25 Nov: 1h 00m, 1 Real Work Hour" });
    expect(one.dataset.bucket).toBe("1");
    expect(one.className).toContain("hm-1");
    const none = screen.getByRole("img", { name: "a.doe, Mon 23 Nov: 0m, 0 Real Work Hours" });
    expect(none.dataset.bucket).toBe("0");
    expect(none.className).toContain("hm-0");
  });

  it("labels a cell as a reader would say it", () => {
    renderWeek();
    const cellElement = screen.getByRole("img", { name: "j.smith, Tue 24 Nov: 7h 32m, 11 Real Work Hours" });
    expect(cellElement.title).toBe("j.smith, Tue 24 Nov: 7h 32m, 11 Real Work Hours");
    expect(cellElement.dataset.seconds).toBe(String(7 * HOUR + 32 * 60));
    // A week has room to write the hours in the square.
    expect(cellElement.textContent).toBe("7.5");
  });

  it("draws days after today as not yet", () => {
    renderWeek();
    const future = screen.getByRole("img", { name: "j.smith, Thu 26 Nov: not yet" });
    expect(future.dataset.future).toBe("");
    expect(future.dataset.bucket).toBeUndefined();
    expect(future.className).toContain("hm-future");
    expect(screen.getAllByRole("img", { name: /: not yet$/ })).toHaveLength(8);
    expect(screen.getByText("Not yet")).toBeTruthy();
  });

  it("highlights today's column and shades the weekend", () => {
    const { container } = renderWeek();
    const today = container.querySelector<HTMLElement>('th[data-date="2026-11-25"]')!;
    expect(today.getAttribute("aria-current")).toBe("date");
    expect(today.className).toContain("hm-today");
    expect(container.querySelectorAll('th[aria-current="date"]')).toHaveLength(1);
    expect(container.querySelector<HTMLElement>('th[data-date="2026-11-28"]')!.className).toContain("hm-wk");
    expect(container.querySelector<HTMLElement>('th[data-date="2026-11-26"]')!.className).not.toContain("hm-wk");
  });

  it("shows each employee's totals and links to them", () => {
    renderWeek();
    const row = screen.getByRole("row", { name: /j\.smith/ });
    const cells = within(row).getAllByRole("cell");
    expect(cells.at(-2)!.textContent).toBe("17h 32m");
    expect(cells.at(-1)!.textContent).toBe("24");
    const link = within(row).getByRole("link", { name: "j.smith" });
    expect(link.getAttribute("href")).toBe("/employees/j.smith?date=2026-11-25");
    expect(link.className).toContain("focus-visible:ring-sky-500/50");
    expect(screen.getByRole("link", { name: "a.doe" }).getAttribute("href")).toBe("/employees/a.doe");
  });

  it("keeps the rows in the order given", () => {
    render(<Heatmap days={WEEK} rows={[doe, smith]} today="2026-11-25" caption="c" />);
    expect(screen.getAllByRole("link").map((link) => link.textContent)).toEqual(["a.doe", "j.smith"]);
  });

  it("has a legend from less to more", () => {
    renderWeek();
    const legend = screen.getByRole("list", { name: /legend/i });
    expect(
      within(legend)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["0h", "< 2h", "2–4h", "4–6h", "6–8h", "≥ 8h"]);
    expect(screen.getByText("Less")).toBeTruthy();
    expect(screen.getByText("More")).toBeTruthy();
  });

  it("draws a month as small squares that scroll beside a sticky name column", () => {
    const days = Array.from({ length: 30 }, (_, index) => `2026-11-${String(index + 1).padStart(2, "0")}`);
    const row: HeatmapRow = {
      ...smith,
      cells: days.map(() => cell(6 * HOUR)),
      working_seconds: 180 * HOUR,
      real_hours_counted: 270,
    };
    const { container } = render(<Heatmap days={days} rows={[row]} today="2026-11-30" caption="November 2026" />);
    expect(screen.getAllByRole("columnheader")).toHaveLength(33);
    const squares = screen.getAllByRole("img");
    expect(squares).toHaveLength(30);
    expect(squares.every((square) => square.className.includes("hm-sq") && square.textContent === "")).toBe(true);
    expect(container.querySelector(".overflow-x-auto table")).not.toBeNull();
    expect(screen.getByRole("rowheader").className).toContain("sticky");
    expect(screen.queryByText("Not yet")).toBeNull();
  });

  it("says so when no employee is shown", () => {
    render(<Heatmap days={WEEK} rows={[]} today="2026-11-25" caption="c" />);
    expect(screen.getByText("No employees to show.")).toBeTruthy();
  });
});
