import http from "node:http";
import https from "node:https";
import { openDb } from "@/lib/db";
import { type Provider } from "@/lib/db/dialect";

export type StreamEvent = { user: string; state: "working" | "stopped"; ts: string };

export type Answer = { status: number; retryAfter?: string; contentType?: string; body: unknown };

export type StreamOptions = {
  /** Requests in flight at once. */
  concurrency?: number;
  /** Users are `${prefix}-0` … `${prefix}-6`, lower case so the stored user_key is the same. */
  prefix: string;
  /** Largest batch; half the requests carry a single event. */
  maxBatch?: number;
  keepAlive?: boolean;
  timeoutMs?: number;
  /** Sent with every request (an Authorization header, once ingest needs a token). */
  headers?: Record<string, string>;
};

export type StreamSummary = {
  sent: number;
  acked: StreamEvent[];
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Answers other than 201, the first few of each status. */
  samples: Answer[];
  /** 201 answers whose counts did not match the batch (all events are unique, so none should). */
  miscounted: number;
};

/** The key an event is stored under: user_key, epoch ms and state. */
export function eventKey(user: string, ms: number, state: string): string {
  return `${user}|${ms}|${state}`;
}

type PostOptions = {
  /** A keep-alive agent (http or https, as the URL); none opens a connection per request. */
  agent?: http.Agent;
  timeoutMs?: number;
  /** Sent with the request (an Authorization header). */
  headers?: Record<string, string>;
};

/**
 * POSTs `body` to `${url}/api/report` over HTTP or HTTPS (any certificate), and resolves with
 * the answer, its JSON parsed where it is JSON; rejects on a network error or timeout. `queuedMs`
 * is how long the request waited for a connection of the agent's pool.
 */
export function postReport(
  url: string,
  body: string,
  { agent, timeoutMs = 60_000, headers = {} }: PostOptions = {},
): Promise<Answer & { queuedMs: number }> {
  const secure = url.startsWith("https:");
  const called = performance.now();
  let queuedMs = 0;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      `${url}/api/report`,
      {
        method: "POST",
        agent: agent ?? false,
        timeout: timeoutMs,
        rejectUnauthorized: false,
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // kept as text: the caller checks the envelope (an HTML page or a bare 500 is what tests look for)
          }
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers["retry-after"] as string | undefined,
            contentType: res.headers["content-type"],
            body: parsed,
            queuedMs,
          });
        });
      },
    );
    req.once("socket", () => (queuedMs = performance.now() - called));
    req.on("timeout", () => req.destroy(Object.assign(new Error("request timed out"), { code: "TIMEOUT" })));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A stream of unique events POSTed to a running server by `concurrency` workers, single
 * events and small batches mixed, until stopped. Records every event answered 201.
 */
export class EventStream {
  private running = true;
  private seq = 0;
  private workers: Promise<void>[];
  private agent: http.Agent;
  private readonly base = Date.now() - 60 * 60_000;
  readonly summary: StreamSummary = { sent: 0, acked: [], statuses: {}, errors: {}, samples: [], miscounted: 0 };

  constructor(
    private url: string,
    private options: StreamOptions,
  ) {
    const concurrency = options.concurrency ?? 16;
    this.agent = new http.Agent({ keepAlive: options.keepAlive ?? true, maxSockets: concurrency });
    this.workers = Array.from({ length: concurrency }, (_, worker) => this.work(worker));
  }

  get acked(): number {
    return this.summary.acked.length;
  }

  private nextEvent(): StreamEvent {
    const n = this.seq++;
    return {
      user: `${this.options.prefix}-${n % 7}`,
      state: n % 3 === 0 ? "stopped" : "working",
      ts: new Date(this.base + n).toISOString(),
    };
  }

  private async work(worker: number) {
    const maxBatch = this.options.maxBatch ?? 5;
    let round = 0;
    while (this.running) {
      round++;
      const single = (worker + round) % 2 === 0;
      const events = Array.from({ length: single ? 1 : 2 + ((worker * 7 + round) % (maxBatch - 1)) }, () =>
        this.nextEvent(),
      );
      const body = single ? JSON.stringify(events[0]) : JSON.stringify(round % 3 === 0 ? events : { events });
      this.summary.sent++;
      try {
        const answer = await postReport(this.url, body, {
          agent: this.agent,
          timeoutMs: this.options.timeoutMs ?? 60_000,
          headers: this.options.headers,
        });
        this.summary.statuses[answer.status] = (this.summary.statuses[answer.status] ?? 0) + 1;
        if (answer.status === 201) {
          this.summary.acked.push(...events);
          const counts = answer.body as { accepted?: number; duplicates?: number; duplicate?: boolean };
          if (single ? counts.duplicate : counts.accepted !== events.length || counts.duplicates !== 0)
            this.summary.miscounted++;
        } else {
          if (this.summary.samples.filter((s) => s.status === answer.status).length < 5)
            this.summary.samples.push(answer);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        this.summary.errors[code] = (this.summary.errors[code] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Waits until `count` more events have been answered 201, or the timeout passes. */
  async waitForAcks(count: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acked + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acked < target && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.acked < target)
      throw new Error(`Only ${this.acked} of ${target} events acknowledged: ${JSON.stringify(this.report())}`);
  }

  /** Stops sending and waits for the requests in flight to settle. */
  async stop(): Promise<StreamSummary> {
    this.running = false;
    await Promise.all(this.workers);
    this.agent.destroy();
    return this.summary;
  }

  /** The summary without the event list, for failure messages. */
  report() {
    const { acked, ...rest } = this.summary;
    return { acked: acked.length, ...rest };
  }
}

/** Every event stored in the database at `url`, as eventKey strings. */
export async function storedEventKeys(provider: Provider, url: string): Promise<Set<string>> {
  const db = openDb(url);
  try {
    const rows =
      provider === "sqlite"
        ? await db.raw.query<{ user_key: string; ms: number; state: string }>(
            `SELECT user_key, ts AS ms, state FROM work_events`,
          )
        : await db.raw.query<{ user_key: string; ms: string; state: string }>(
            `SELECT user_key, (extract(epoch FROM ts) * 1000)::bigint::text AS ms, state FROM work_events`,
          );
    return new Set(rows.map((row) => eventKey(row.user_key, Number(row.ms), row.state)));
  } finally {
    await db.close();
  }
}

/** The acknowledged events that are not in the database. */
export async function missingEvents(provider: Provider, url: string, acked: StreamEvent[]): Promise<StreamEvent[]> {
  const stored = await storedEventKeys(provider, url);
  return acked.filter((e) => !stored.has(eventKey(e.user, Date.parse(e.ts), e.state)));
}
