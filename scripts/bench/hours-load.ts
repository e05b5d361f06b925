// Child process of scripts/bench/hours.ts: generates and stores the next events of the data
// set, so that the memory this takes is not counted in the benchmark process's RSS.
// Argument: one JSON LoadRequest; prints one JSON line, a LoadResult.
import pg from "pg";
import { EventStream, Population, postgresLoader, RULES, sqliteLoader, type StreamState } from "./hours-data.ts";

/** Either `file` (SQLite) or `postgres` (a URL) names the database. */
export type LoadRequest = { file?: string; postgres?: string; users: number; count: number; stream: StreamState };
export type LoadResult = { seconds: number; generateSeconds: number; stream: StreamState; maxRssMb: number };

async function main() {
  const request = JSON.parse(process.argv[2]) as LoadRequest;
  const population = new Population(request.users);
  const stream = new EventStream(population, request.stream.days, RULES.timeZone, request.stream);
  let pool: pg.Pool | undefined;
  const loader = request.file
    ? sqliteLoader(request.file, population)
    : await postgresLoader((pool = new pg.Pool({ connectionString: request.postgres, max: 1 })), population);
  try {
    const { seconds, generateSeconds } = await loader.load(stream, request.count);
    const result: LoadResult = {
      seconds,
      generateSeconds,
      stream: stream.state(),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await loader.close();
    await pool?.end();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
