import { readFileSync } from "node:fs";
import { buildState, ensureBuild } from "../../tests/helpers/build.ts";
import { processTree } from "../../tests/helpers/processes.ts";
import { startServer } from "../../tests/helpers/server.ts";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

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
export async function startBenchServer(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  timeoutMs = 60_000,
): Promise<BenchServer> {
  const spawnedAt = performance.now();
  const server = await startServer(
    { LOG_LEVEL: "warn", ...env },
    { nodeArgs: [...startScriptNodeFlags(), ...nodeArgs], timeoutMs },
  );
  return {
    url: server.url,
    pid: server.child.pid!,
    spawnedAt,
    output: server.output,
    async stop() {
      const timer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
      const code = await server.stop("SIGTERM");
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

/**
 * Benchmarks measure the built server: build when there is no build at all (under the tests'
 * lock, so a test run building at the same time is waited for); when the build is older than
 * the sources only say so, as rebuilding could break test servers running beside the benchmark.
 */
export function checkBuild(): void {
  const state = buildState();
  if (state === "missing") {
    process.stdout.write("No build in .next: running next build first (this takes a minute or two)...\n");
    ensureBuild();
  } else if (state === "stale") {
    process.stdout.write(
      "Note: the build in .next is older than some sources; the figures are for the code as built (run `npx next build` to refresh).\n",
    );
  }
}
