import { describe, expect, it } from "vitest";
import { compareAgentVersions, newestVersion } from "@/lib/devices/versions";

describe("agent versions", () => {
  it("orders numeric parts as numbers, and no version before any", () => {
    const sorted = ["2.10.0", null, "2.9.1", "10.0", "2.9", "2.9.1-beta", "1.0.0"].sort(compareAgentVersions);
    expect(sorted).toEqual([null, "1.0.0", "2.9", "2.9.1", "2.9.1-beta", "2.10.0", "10.0"]);
    expect(compareAgentVersions("2.4.0", "2.4.0")).toBe(0);
  });

  it("finds the newest version seen, or none", () => {
    expect(newestVersion(["2.1.3", null, "2.4.0", "2.3.9"])).toBe("2.4.0");
    expect(newestVersion([null, null])).toBeNull();
    expect(newestVersion([])).toBeNull();
  });
});
