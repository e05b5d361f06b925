// @vitest-environment jsdom
import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { StatusBadge } from "@/app/_components/status-badge";

const badge = (container: HTMLElement) => container.querySelector<HTMLElement>("[data-status]")!;

describe("StatusBadge", () => {
  it("names each status with its colour", () => {
    const cases = [
      ["working", "Working", "bg-emerald-50"],
      ["idle", "Idle", "bg-amber-50"],
      ["offline", "Offline", "bg-slate-100"],
    ] as const;
    for (const [status, label, colour] of cases) {
      const { container, unmount } = render(
        <StatusBadge status={status} since="2026-11-24T05:14:00Z" today="2026-11-24" timeZone="Asia/Dubai" />,
      );
      const element = badge(container);
      expect(element.dataset.status).toBe(status);
      expect(element.textContent).toBe(`${label}since 09:14 (Asia/Dubai)`);
      expect(element.className).toContain(colour);
      expect(element.className).toMatch(/dark:bg-/);
      expect(element.title).toBe(`${label} since 09:14 (Asia/Dubai)`);
      unmount();
    }
  });

  it("pulses the dot only while working, and only when motion is welcome", () => {
    const working = render(
      <StatusBadge status="working" since="2026-11-24T05:14:00Z" today="2026-11-24" timeZone="Asia/Dubai" />,
    );
    expect(working.container.querySelector(".motion-safe\\:animate-ping")).not.toBeNull();
    expect(working.container.innerHTML).not.toMatch(/(^|[\s"])animate-/);
    working.unmount();
    const idle = render(
      <StatusBadge status="idle" since="2026-11-24T05:14:00Z" today="2026-11-24" timeZone="Asia/Dubai" />,
    );
    expect(idle.container.innerHTML).not.toContain("animate-");
  });

  it("adds the date when the status began before today", () => {
    const { container } = render(
      <StatusBadge status="offline" since="2026-11-23T14:02:00Z" today="2026-11-24" timeZone="Asia/Dubai" />,
    );
    expect(badge(container).title).toBe("Offline since Mon 23 Nov, 18:02 (Asia/Dubai)");
    expect(container.querySelector("time")!.textContent).toBe("Mon 23 Nov, 18:02");
    expect(container.querySelector("time")!.getAttribute("datetime")).toBe("2026-11-23T14:02:00Z");
  });

  it("reads the clock in the report's time zone, not the browser's", () => {
    const since = "2026-11-24T05:14:00Z";
    const dubai = render(<StatusBadge status="working" since={since} today="2026-11-24" timeZone="Asia/Dubai" />);
    const london = render(<StatusBadge status="working" since={since} today="2026-11-24" timeZone="Europe/London" />);
    expect(dubai.container.querySelector("time")!.textContent).toBe("09:14");
    expect(london.container.querySelector("time")!.textContent).toBe("05:14");
    expect(badge(london.container).title).toBe("Working since 05:14 (Europe/London)");
  });

  it("a local midnight decides whether the date is shown", () => {
    // 21:30 UTC on the 23rd is already the 24th in Dubai.
    const { container } = render(
      <StatusBadge status="idle" since="2026-11-23T21:30:00Z" today="2026-11-24" timeZone="Asia/Dubai" />,
    );
    expect(container.querySelector("time")!.textContent).toBe("01:30");
  });

  it("says only the status when there is no valid since", () => {
    const { container } = render(<StatusBadge status="offline" since="" today="2026-11-24" timeZone="Asia/Dubai" />);
    expect(badge(container).textContent).toBe("Offline");
    expect(badge(container).title).toBe("Offline");
  });
});
