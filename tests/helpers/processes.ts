import { readdirSync, readFileSync } from "node:fs";
import type { RunningServer } from "./server";

function parentOf(pid: number): number | null {
  try {
    // The command name in field 2 may hold spaces and parentheses: read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/** `pid` and every process below it (Linux /proc), parents first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const visit = (p: number) => {
    tree.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/**
 * The process that really serves: `tsx server.ts` relays signals to a child node process and
 * SIGKILLs it when it does not confirm a relayed signal within ~30 ms, which a busy server
 * often cannot. Signalling the child itself tests server.ts's own shutdown.
 */
export function serverProcess(rootPid: number): number {
  const serving = processTree(rootPid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("server.ts");
    } catch {
      return false;
    }
  });
  if (!serving.length) throw new Error(`No server.ts process under ${rootPid}`);
  return serving[serving.length - 1];
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `tsx server.ts` runs the server in a child node process; SIGKILL to tsx alone would leave
 * that child serving. This kills every process of the tree at once.
 */
export function killTree(pid: number, signal: NodeJS.Signals): number[] {
  const tree = processTree(pid);
  for (const p of tree) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
  return tree;
}

export async function waitUntilGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** SIGTERM to the serving process itself; resolves with the exit code tsx passes on from it. */
export function terminate(server: RunningServer): Promise<number | string> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode!);
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  process.kill(serverProcess(child.pid!), "SIGTERM");
  return exited;
}
