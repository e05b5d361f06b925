import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig, sqlitePathFromUrl } from "@/lib/config";

// docs/work-tracing.service is what docs/operations.md tells an operator to install: it has to
// run what `npm start` runs, come back after any exit, and confine the server.
const ROOT = path.resolve(import.meta.dirname, "../..");
const UNIT_FILE = path.join(ROOT, "docs/work-tracing.service");
const unitText = readFileSync(UNIT_FILE, "utf8");

/** The unit's settings per section; a key given twice keeps every value, in order. */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (!current || eq < 0) throw new Error(`Not a setting inside a section: ${line}`);
    (current[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.Service ?? {};
const one = (key: string) => {
  const values = service[key] ?? [];
  expect(values, `[Service] ${key}`).toHaveLength(1);
  return values[0];
};

function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (spawnSync(candidate, ["--version"], { stdio: "ignore" }).status === 0) return candidate;
  }
  return null;
}

const systemdAnalyze = findOnPath("systemd-analyze");

describe("the documented systemd unit", () => {
  it("runs what npm start runs, from the installation folder, as its own account", () => {
    const start = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.start as string;
    const [program, ...args] = start.split(/\s+/);
    expect(program).toBe("node");
    const [binary, ...execArgs] = one("ExecStart").split(/\s+/);
    expect(path.isAbsolute(binary) && path.basename(binary)).toBe("node");
    expect(execArgs).toEqual(args);
    expect(one("Type")).toBe("simple");
    expect(one("User")).not.toMatch(/^(root|0)$/);
    expect(path.isAbsolute(one("WorkingDirectory"))).toBe(true);
    expect(path.isAbsolute(one("EnvironmentFile").replace(/^-/, ""))).toBe(true);
  });

  it("comes back after any exit, and gives server.ts its grace period on stop", () => {
    expect(one("Restart")).toBe("always");
    expect(unit.Unit.StartLimitIntervalSec).toEqual(["0"]);
    expect(one("KillSignal")).toBe("SIGTERM");
    const grace = Number(
      /SHUTDOWN_GRACE_MS = ([\d_]+)/.exec(readFileSync(path.join(ROOT, "server.ts"), "utf8"))![1].replace(/_/g, ""),
    );
    expect(Number(one("TimeoutStopSec")) * 1000).toBeGreaterThan(grace);
    expect(one("MemoryMax")).toMatch(/^\d+[MG]$/);
    expect(unit.Install.WantedBy).toEqual(["multi-user.target"]);
  });

  it("confines the server: read-only system but its instance folder, no home, private /tmp, no privileges", () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      RestrictSUIDSGID: "yes",
      CapabilityBoundingSet: "",
      UMask: "0077",
    }))
      expect(one(key), key).toBe(value);
    expect(service.ReadWritePaths).toEqual([path.join(one("WorkingDirectory"), "instance")]);
    // V8 writes the code it compiles into executable memory.
    expect(service.MemoryDenyWriteExecute).toBeUndefined();
  });

  it("is given settings that are a valid configuration, behind the documented nginx", () => {
    const env = parseEnv(readFileSync(path.join(ROOT, "docs/work-tracing.env.example"), "utf8")) as Record<
      string,
      string
    >;
    const workingDirectory = one("WorkingDirectory");
    const config = loadConfig(env, workingDirectory);
    expect(config.trustedProxies).toBe(1);
    expect(config.host).toBe("127.0.0.1");
    // The SQLite database, its WAL and the generated secret all live where the unit may write.
    expect(path.dirname(sqlitePathFromUrl(config.databaseUrl, workingDirectory))).toBe(service.ReadWritePaths[0]);
    const nginx = readFileSync(path.join(ROOT, "docs/nginx.conf"), "utf8");
    const upstream = /upstream work_tracing \{[^}]*?server ([\d.]+):(\d+);/.exec(nginx);
    expect(upstream?.slice(1)).toEqual([config.host, String(config.port)]);
  });

  it("passes systemd-analyze verify, where it exists", (context) => {
    if (!systemdAnalyze) {
      context.skip("systemd-analyze is not installed here: the keys above were checked, verify was skipped");
      return;
    }
    // verify insists the program exists: the node running this test stands in for /usr/bin/node.
    const dir = mkdtempSync(path.join(os.tmpdir(), "wt-unit-"));
    try {
      const file = path.join(dir, "work-tracing.service");
      writeFileSync(file, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
      const result = spawnSync(systemdAnalyze, ["verify", file], { encoding: "utf8" });
      const about = `${result.stdout}${result.stderr}`
        .split("\n")
        .filter((line) => line.includes("work-tracing.service"));
      expect(about, "systemd-analyze verify complained").toEqual([]);
      expect(result.status).toBe(0);

      const security = spawnSync(systemdAnalyze, ["security", "--offline=yes", file], { encoding: "utf8" });
      const exposure = /Overall exposure level for work-tracing\.service: ([\d.]+)/.exec(security.stdout);
      // Older systemd has no offline security check; the hardening keys were checked above.
      if (exposure) expect(Number(exposure[1]), security.stdout).toBeLessThanOrEqual(2.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
