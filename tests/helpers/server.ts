import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export type RunningServer = {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
};

/** How the built app is run: by server.ts, as `npm start` does, or as a plain `next start` (no server.ts). */
export type DeployMode = "server.ts" | "next start";

/** The command line and settings of each deploy mode, listening on `port` on the loopback address. */
function commandFor(mode: DeployMode, port: number, args: string[], nodeArgs: string[]) {
  if (mode === "next start")
    return {
      command: path.join(ROOT, "node_modules/.bin/next"),
      argv: ["start", "-p", String(port), "-H", "127.0.0.1", ...args],
      env: { PROCESS_CRON: "off", LOG_LEVEL: "warn" },
    };
  // As `npm start` runs it: node itself, so signals reach server.ts without a relay.
  return {
    command: process.execPath,
    argv: [...nodeArgs, "--import", "tsx", "server.ts", ...args],
    env: { HOST: "127.0.0.1", PORT: String(port), PROCESS_CRON: "off", LOG_LEVEL: "info" },
  };
}

/**
 * Starts the real, built app on a free loopback port (or `port`), by server.ts in production
 * mode unless `mode` says `next start`, and waits until /api/health answers.
 */
export async function startServer(
  env: Record<string, string>,
  {
    mode = "server.ts",
    port,
    timeoutMs = 60_000,
    args = [],
    nodeArgs = [],
  }: { mode?: DeployMode; port?: number; timeoutMs?: number; args?: string[]; nodeArgs?: string[] } = {},
): Promise<RunningServer> {
  const chosen = port ?? (await freePort());
  const { command, argv, env: defaults } = commandFor(mode, chosen, args, nodeArgs);
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...defaults, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${mode} exited before it was ready:\n${output}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${mode} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port: chosen,
    child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
