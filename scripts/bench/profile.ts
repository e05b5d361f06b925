// Summarises a V8 .cpuprofile of the server (from `npm run bench:ingest -- --node-args
// "--cpu-prof --cpu-prof-dir=DIR"`): where its CPU time went, by area, by source file and by
// function. Frames in the minified .next chunks are mapped back to their sources.
// Usage: npx tsx scripts/bench/profile.ts FILE.cpuprofile [--from 5] [--to 20] [--top 25]
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
type Frame = { name: string; file: string; line: number; native: boolean };

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const file = url.startsWith("file:") ? fileURLToPath(url) : url;
      if (file.includes("/.next/") && existsSync(`${file}.map`))
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  return maps.get(url)!;
}

function resolve(frame: CallFrame): Frame {
  const name = frame.functionName || "(anonymous)";
  if (!frame.url) return { name, file: "(native)", line: 0, native: true };
  const entry = sourceMapFor(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber) as
    { originalSource?: string; originalLine?: number; name?: string } | undefined;
  const file = (entry?.originalSource ?? frame.url)
    .replace(/^file:\/\//, "")
    .replace(/^(\.\.\/)+/, "")
    .replace(/^.*\/node_modules\//, "node_modules/")
    .replace(`${process.cwd()}/`, "");
  const line = (entry?.originalSource ? entry.originalLine! : frame.lineNumber) + 1;
  return { name, file, line, native: false };
}

// First match wins: enough to tell the framework's cost from validation, parsing and storage.
const AREAS: [string, (frame: Frame, raw: CallFrame) => boolean][] = [
  ["garbage collection", (_, raw) => raw.functionName === "(garbage collector)"],
  ["(program: V8 and native code outside JS)", (_, raw) => raw.functionName === "(program)"],
  ["lib/ingest/store.ts, SQLite calls included", (f) => f.file.endsWith("lib/ingest/store.ts")],
  ["lib/ingest/schema.ts (validation, timestamps)", (f) => f.file.endsWith("lib/ingest/schema.ts")],
  ["zod", (f) => f.file.includes("node_modules/zod")],
  ["other app and lib code", (f) => /^(app|lib)\//.test(f.file)],
  ["better-sqlite3 JS", (f) => f.file.includes("node_modules/better-sqlite3")],
  ["next", (f) => f.file.includes("node_modules/next") || f.file.includes("next/src") || f.file.includes("/.next/")],
  ["node internals (http, streams, undici)", (f) => f.file.startsWith("node:")],
  ["native builtins (JSON.parse, RegExp, ...)", (f) => f.native],
  ["other packages", () => true],
];

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      from: { type: "string", default: "0" },
      to: { type: "string", default: "Infinity" },
      top: { type: "string", default: "25" },
    },
  });
  if (!positionals.length)
    throw new Error("Usage: npx tsx scripts/bench/profile.ts FILE.cpuprofile [--from s] [--to s] [--top n]");
  const profile = JSON.parse(readFileSync(path.resolve(positionals[0]), "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const frames = new Map(profile.nodes.map((node) => [node.id, resolve(node.callFrame)]));

  // Self time per node from the samples in the window, in microseconds.
  const [from, to] = [Number(values.from) * 1e6, Number(values.to) * 1e6];
  const self = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === "(idle)") idle += us;
    else busy += us;
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const raw = byId.get(id)!.callFrame;
    if (raw.functionName === "(idle)") continue;
    const frame = frames.get(id)!;
    add(areas, AREAS.find(([, match]) => match(frame, raw))![0], us);
    add(functions, `${frame.name}  ${frame.native ? "(native)" : `${frame.file}:${frame.line}`}`, us);
    // Inclusive time per project source file: the sample counts once for every file on its stack.
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const file = frames.get(node)!.file;
      if (/^(app|lib)\//.test(file) && !seen.has(file)) {
        seen.add(file);
        add(files, file, us);
      }
    }
  }

  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  const out = [
    `window ${(from / 1e6).toFixed(1)}–${Math.min(to, profile.endTime - profile.startTime) / 1e6} s: busy ${(busy / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s (percentages are of busy time)`,
    "",
    "by area (self time; a native call such as a SQLite statement counts to the JS function calling it):",
    ...sorted(areas).map(([area, us]) => `  ${pct(us)}  ${area}`),
    "",
    "project files on the stack (inclusive time):",
    ...sorted(files).map(([file, us]) => `  ${pct(us)}  ${file}`),
    "",
    `top ${values.top} functions (self time):`,
    ...sorted(functions)
      .slice(0, Number(values.top))
      .map(([key, us]) => `  ${pct(us)}  ${key}`),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

main();
