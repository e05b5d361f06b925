// Sign-in burst benchmark (issue 11): how fast the server still answers other requests while
// a burst of sign-ins is being checked. Password hashing (scrypt) and gzip share libuv's four
// threads, so unbounded hashing stalls every compressed response.
//   1. starts the built server as `npm start` does, on a fresh database;
//   2. times sequential probes (`GET /api/health` and the sign-in page, both asking for gzip)
//      with nothing else running;
//   3. per burst: posts --burst sign-ins at once (unknown usernames, each from its own address
//      through TRUSTED_PROXIES=1, so no rate limit turns them away) and times sequential probes
//      until the last sign-in has been answered;
//   4. prints p50 / p95 / max of the probes, quiet and during the bursts, and what the
//      sign-ins were answered.
// Usage: npm run bench:sign-in -- [--burst 100] [--bursts 3] [--postgres URL]
import os from "node:os";
import { createBenchDatabase } from "./database.ts";
import { parseBenchOptions } from "./options.ts";
import { checkBuild, startBenchServer, type BenchServer } from "./server.ts";

const HELP = `npm run bench:sign-in -- [options]

  --burst <n>       sign-ins posted at once in each burst (default 100)
  --bursts <n>      bursts, one after another (default 3)
  --postgres <url>  run on PostgreSQL: a throwaway database is created there and dropped
`;

const parseOptions = () =>
  parseBenchOptions(HELP, { burst: { default: 100, max: 1000 }, bursts: { default: 3, max: 100 } });

const PROBES = [
  ["GET /api/health", "/api/health"],
  ["GET /sign-in", "/sign-in"],
] as const;

async function probe(server: BenchServer, path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, { headers: { "accept-encoding": "gzip" } });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  return performance.now() - started;
}

let address = 0;

/** One sign-in with a wrong password for an unknown account, from an address of its own. */
async function postSignIn(server: BenchServer, burst: number, i: number): Promise<string> {
  address++;
  const response = await fetch(`${server.url}/auth/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: server.url,
      "x-forwarded-for": `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`,
    },
    body: new URLSearchParams({ username: `burst-${burst}-${i}`, password: "not the password at all" }),
  });
  await response.arrayBuffer();
  if (response.status === 303) {
    const error = new URL(response.headers.get("location") ?? "/", server.url).searchParams.get("error");
    return `303 ${error ?? "(signed in)"}`;
  }
  return String(response.status);
}

type Summary = { n: number; p50: number; p95: number; max: number };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] };
}

const line = (label: string, s: Summary) =>
  `  ${label.padEnd(34)} n=${String(s.n).padStart(4)}  p50 ${s.p50.toFixed(1).padStart(7)} ms  p95 ${s.p95
    .toFixed(1)
    .padStart(7)} ms  max ${s.max.toFixed(1).padStart(7)} ms\n`;

async function main() {
  const options = parseOptions();
  checkBuild();
  const database = await createBenchDatabase("sign-in", { postgres: options.postgres });
  let server: BenchServer | undefined;
  try {
    server = await startBenchServer({ DATABASE_URL: database.url, PROCESS_CRON: "off", TRUSTED_PROXIES: "1" });
    const quiet = new Map<string, number[]>(PROBES.map(([label]) => [label, []]));
    const busy = new Map<string, number[]>(PROBES.map(([label]) => [label, []]));
    for (let i = 0; i < 5; i++) for (const [, path] of PROBES) await probe(server, path);
    for (let i = 0; i < 20; i++) for (const [label, path] of PROBES) quiet.get(label)!.push(await probe(server, path));

    const answers = new Map<string, number>();
    const burstSeconds: number[] = [];
    for (let b = 0; b < options.bursts; b++) {
      const started = performance.now();
      let pending = options.burst;
      const burst = Array.from({ length: options.burst }, (_, i) =>
        postSignIn(server!, b, i).then((answer) => {
          answers.set(answer, (answers.get(answer) ?? 0) + 1);
          pending--;
        }),
      );
      while (pending > 0) for (const [label, path] of PROBES) busy.get(label)!.push(await probe(server, path));
      await Promise.all(burst);
      burstSeconds.push((performance.now() - started) / 1000);
      // Let the server settle between bursts.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    process.stdout.write(
      `Sign-in burst benchmark, ${new Date().toISOString()}\n` +
        `  machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}\n` +
        `  database: ${database.describe}\n` +
        `  ${options.bursts} bursts of ${options.burst} sign-ins posted at once\n\n` +
        `Probes with nothing else running:\n` +
        PROBES.map(([label]) => line(label, summarize(quiet.get(label)!))).join("") +
        `Probes while a burst was being answered:\n` +
        PROBES.map(([label]) => line(label, summarize(busy.get(label)!))).join("") +
        `Bursts answered in: ${burstSeconds.map((s) => `${s.toFixed(2)} s`).join(", ")}\n` +
        `Sign-in answers: ${[...answers].map(([answer, n]) => `${answer} × ${n}`).join(", ")}\n`,
    );
  } finally {
    await server?.stop();
    await database.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
