import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tokensFor } from "../helpers/credentials";
import { freePort, ROOT } from "../helpers/server";

// docs/work-tracing.service makes everything read-only but the instance folder
// (ProtectSystem=strict, ReadWritePaths) and gives the server a /tmp of its own (PrivateTmp).
// systemd cannot run here, so a mount namespace does the same to the checkout: the server has
// to start, migrate, serve and stop with nothing else writable.
const unit = readFileSync(path.join(ROOT, "docs/work-tracing.service"), "utf8");
const setting = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1] ?? "";
const workingDirectory = setting("WorkingDirectory");
const writable = path.relative(workingDirectory, setting("ReadWritePaths"));

/** Whether this process may make a mount namespace (root, with the capability, and unshare installed). */
function canSandbox(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { stdio: "ignore" });
  return probe.status === 0;
}

describe("the server inside the systemd unit's sandbox", () => {
  const instance = mkdtempSync(path.join(os.tmpdir(), "wt-sandbox-"));
  afterAll(() => rmSync(instance, { recursive: true, force: true }));

  it(
    "starts, migrates, ingests, reports and stops with only the instance folder writable",
    { timeout: 120_000 },
    async (context) => {
      expect(writable).toBe("instance");
      if (!canSandbox()) {
        context.skip("needs root and unshare(1) to make a mount namespace: the unit's keys are checked in tests/unit");
        return;
      }
      const { ingest, read } = await tokensFor(`file:${path.join(instance, "work_events.db")}`);
      mkdirSync(path.join(ROOT, writable), { recursive: true });
      const port = await freePort();
      const script = [
        "set -e",
        `mount --bind "${ROOT}" "${ROOT}"`,
        `mount -o remount,bind,ro "${ROOT}"`,
        `mount --bind "${instance}" "${path.join(ROOT, writable)}"`,
        "mount -t tmpfs -o mode=1777 tmpfs /tmp",
        `exec "${process.execPath}" ${setting("ExecStart").split(/\s+/).slice(1).join(" ")}`,
      ].join("\n");
      const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
        cwd: ROOT,
        env: {
          ...process.env,
          HOST: "127.0.0.1",
          PORT: String(port),
          DATABASE_URL: `file:${path.join(ROOT, writable, "work_events.db")}`,
          TRUSTED_PROXIES: "1",
          PROCESS_CRON: "off",
          LOG_LEVEL: "info",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      try {
        const url = `http://127.0.0.1:${port}`;
        for (let tries = 0; ; tries++) {
          if (child.exitCode !== null) throw new Error(`The server exited in the sandbox:\n${output}`);
          const health = await fetch(`${url}/api/health`).catch(() => null);
          if (health?.status === 200) break;
          if (tries > 600) throw new Error(`Not ready in the sandbox:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const posted = await fetch(`${url}/api/report`, {
          method: "POST",
          headers: { ...ingest, "content-type": "application/json" },
          body: JSON.stringify({ user: "CORP\\sandboxed", state: "working" }),
        });
        expect(posted.status).toBe(201);
        const users = await fetch(`${url}/api/users`, { headers: read });
        expect(((await users.json()).data as { username: string }[]).map((u) => u.username)).toContain(
          "CORP\\sandboxed",
        );
        expect((await fetch(`${url}/sign-in`)).status).toBe(200);
      } finally {
        // SIGTERM goes to node itself: `sh -c` exec'd it, and unshare passes the signal on.
        child.kill("SIGTERM");
      }
      expect(await exited, output).toBe(0);
      expect(output).toMatch(/INFO stopped/);
      expect(output).not.toMatch(/EROFS|EACCES|read-only file system/i);
    },
  );
});
