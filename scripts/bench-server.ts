import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { processTree } from "../tests/helpers/processes.ts";
import { freePort } from "../tests/helpers/server.ts";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");

export { buildState } from "../tests/helpers/build.ts";
export { freePort };

export type BenchServer = {
  url: string;
  pid: number;
  /** performance.now() when the process was spawned: profiles (--cpu-prof) count from about then. */
  spawnedAt: number;
  output(): string;
  stop(): Promise<number | string>;
};

/** The node flags `npm start` gives the server (such as its heap cap), read from package.json. */
export function startScriptNodeFlags(): string[] {
  const start: string = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.start;
  const words = start.split(/\s+/);
  return words[0] === "node" ? words.slice(1, words.indexOf("--import")) : [];
}

/**
 * Starts the built server on a loopback port as `npm start` does (`node <its flags> --import
 * tsx server.ts`), so that the child is the server itself, whose memory and CPU time are what
 * we read from /proc.
 */
export async function startBenchServer(env: Record<string, string>, nodeArgs: string[] = [], timeoutMs = 60_000): Promise<BenchServer> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...startScriptNodeFlags(), ...nodeArgs, "--import", "tsx", "server.ts"], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), PROCESS_CRON: "off", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`The server exited before it was ready:\n${output}`);
    try {
      if ((await fetch(`${url}/api/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`The server was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    spawnedAt,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function rssKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The resident memory of the process and any children it started, in MB. */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssKb(p), 0) / 1024;
}

// USER_HZ is 100 on every Linux the project targets.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name, which may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export type Rss = ReturnType<typeof watchRss>;

/** Samples the server's RSS every `intervalMs` until stopped; keeps the maximum overall and since the last resetPhase(). */
export function watchRss(pid: number, intervalMs = 200) {
  const sample = () => {
    const mb = treeRssMb(pid);
    max = Math.max(max, mb);
    phaseMax = Math.max(phaseMax, mb);
    return mb;
  };
  let max = 0;
  let phaseMax = 0;
  const startMb = sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    startMb,
    get maxMb() {
      sample();
      return max;
    },
    get phaseMaxMb() {
      sample();
      return phaseMax;
    },
    resetPhase() {
      phaseMax = 0;
    },
    stop: () => clearInterval(timer),
  };
}
