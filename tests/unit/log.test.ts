import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig, type Config } from "@/lib/config";
import { log } from "@/lib/log";

type ConfigState = typeof globalThis & { __workTracingConfig?: Config };
const state = globalThis as ConfigState;

describe("log lines", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "wt-log-"));
  let saved: Config | undefined;
  let level: string | undefined;
  beforeAll(() => {
    saved = state.__workTracingConfig;
    level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "info";
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => {
    state.__workTracingConfig = saved;
    if (level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = level;
    rmSync(root, { recursive: true, force: true });
  });

  /** What one log call wrote, and to which stream. */
  function written(format: string, call: () => void): { stream: "stdout" | "stderr"; text: string } {
    state.__workTracingConfig = loadConfig({ LOG_FORMAT: format }, root);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    call();
    const calls = [...out.mock.calls.map((c) => ["stdout", c[0]]), ...err.mock.calls.map((c) => ["stderr", c[0]])];
    expect(calls).toHaveLength(1);
    return { stream: calls[0][0] as "stdout" | "stderr", text: String(calls[0][1]) };
  }

  it("writes one JSON object a line under json, the fields as its own keys", () => {
    const { stream, text } = written("json", () =>
      log.info("database ready", { provider: "sqlite", count: 3n, skipped: undefined, msg: "a field" }),
    );
    expect(stream).toBe("stdout");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.slice(0, -1)).not.toContain("\n");
    const entry = JSON.parse(text);
    expect(entry).toEqual({
      time: expect.any(String),
      level: "info",
      msg: "database ready",
      provider: "sqlite",
      count: "3",
      field_msg: "a field",
    });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });

  it("keeps warnings and errors on stderr under json", () => {
    const { stream, text } = written("json", () => log.warn("database connection lost", { code: "ECONNRESET" }));
    expect(stream).toBe("stderr");
    expect(JSON.parse(text)).toMatchObject({ level: "warn", msg: "database connection lost", code: "ECONNRESET" });
  });

  it("keeps the readable line under text", () => {
    const { stream, text } = written("text", () => log.info("database ready", { provider: "sqlite", applied: 2 }));
    expect(stream).toBe("stdout");
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO database ready provider="sqlite" applied=2\n$/);
  });
});
