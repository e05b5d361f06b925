import { createRequire } from "node:module";

// autocannon ships no types; this is the part of its programmatic API the benchmarks use.
type RawRequest = { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer };

export type LoadOptions = {
  url: string;
  connections: number;
  duration: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** Called before every request; returns the request to send (a unique body, say). */
  setupRequest?: (request: RawRequest) => RawRequest;
  /** Called with every response. */
  onResponse?: (status: number, body: string) => void;
};

type Histogram = { average: number; p50: number; p99: number; max: number };

export type LoadResult = {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  latency: Histogram;
  statusCodeStats: Record<string, { count: number }>;
};

type Autocannon = (options: Record<string, unknown>) => Promise<LoadResult>;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** Runs one load phase; the rate is the 2xx responses per second of the phase. */
export async function load(options: LoadOptions): Promise<LoadResult & { rate: number }> {
  const { setupRequest, onResponse, ...rest } = options;
  const request: Record<string, unknown> = {};
  if (setupRequest) request.setupRequest = setupRequest;
  if (onResponse) request.onResponse = onResponse;
  const result = await autocannon({
    ...rest,
    timeout: 30,
    requests: [request],
  });
  return { ...result, rate: result["2xx"] / result.duration };
}
