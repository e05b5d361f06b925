import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { AppError } from "./lib/errors.ts";

const dev = process.argv.includes("--dev");
Object.assign(process.env, { NODE_ENV: dev ? "development" : "production" });

const SHUTDOWN_GRACE_MS = 10_000;

// Output whose reader has gone (journald restarted, the terminal closed) fails with EPIPE. Unheard,
// that error is an uncaught exception whose report fails the same way, over and over, and the
// process spins and never stops. There is nobody left to tell: serving goes on without a log.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

// Plain until lib/log is loaded, which writes it as JSON under LOG_FORMAT=json.
let writeFailure = (message: string): void => void process.stderr.write(`${message}\n`);

function fail(message: string): never {
  writeFailure(message);
  process.exit(1);
}

// Next answers a path it cannot percent-decode with a plain-text 500 and no security headers
// (the API catch-all route decodes its segments): the client's mistake, so a 400 here.
function isUndecodablePath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return false;
  } catch {
    return true;
  }
}

// What the app answers; anything else (TRACE, PROPFIND...) makes Next throw, a 500 with a stack
// in the log on every request.
const SERVED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

async function main() {
  const { getConfig, ConfigError } = await import("./lib/config.ts");
  const { prepareServer } = await import("./lib/server/startup.ts");
  const { closeDb } = await import("./lib/db/index.ts");
  const { drainEventStore } = await import("./lib/ingest/index.ts");
  const { log, describeError, writeStartFailure, captureProcessOutput } = await import("./lib/log.ts");
  writeFailure = writeStartFailure;
  const { badRequest, methodNotAllowed, toErrorEnvelope } = await import("./lib/errors.ts");
  const { isDatabaseUnavailable, toAppError } = await import("./lib/db/errors.ts");
  const { CLIENT_IP_HEADER, CLIENT_IP_SEAL_HEADER, clientAddressOf, createClientAddressSeal } =
    await import("./lib/auth/request.ts");
  const { API_SECURITY_HEADERS } = await import("./lib/server/security-headers.ts");
  const { POST: postReport } = await import("./app/api/report/route.ts");

  let config;
  try {
    config = getConfig();
    captureProcessOutput();
    await prepareServer();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    const reason = (error as Error).message.split("\n")[0];
    if (isDatabaseUnavailable(error)) fail(`Cannot start: the database in DATABASE_URL cannot be reached (${reason})`);
    fail(`Cannot start: ${reason}`);
  }

  const seal = createClientAddressSeal();
  // tsx turns source maps on; Node then keeps every map Next's server chunks point to (some
  // 55 MB of heap). Production stack traces read well enough without them, as `next start` gives.
  if (!dev) process.setSourceMapsEnabled(false);
  const { default: next } = await import("next");
  // An answer server.ts gives itself, before Next: the API's envelope, or plain text for pages.
  const refuse = (res: ServerResponse, pathname: string, error: AppError) => {
    const api = /^\/api(\/|$)/.test(pathname);
    res
      .writeHead(error.status, {
        "Content-Type": api ? "application/json" : "text/plain; charset=utf-8",
        "Cache-Control": "no-store",
        ...API_SECURITY_HEADERS,
        ...error.headers,
      })
      .end(api ? JSON.stringify(toErrorEnvelope(error)) : `${error.message}\n`);
  };
  // Agents' reports are most of all requests, and Next's routing alone costs more CPU than
  // storing an event (bench:ingest: 0.68 of 0.83 ms). They go to the route's own handler here;
  // `next start` and serverless hosts reach the same handler through Next, as does development,
  // where Next reloads it on change.
  const serveIngest = async (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
    // Attached to the request only when the handler reads the body: one refused before that
    // (no token, not JSON) leaves it to Node, which discards it and keeps the connection.
    let source: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          source ??= (Readable.toWeb(req) as ReadableStream<Uint8Array>).getReader();
          const { done, value } = await source.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: (reason) => source?.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    // Not the Host header, which the handler never reads and a client may send malformed.
    const request = new Request(`http://localhost${req.url}`, {
      method: "POST",
      headers,
      body,
      duplex: "half",
    } as RequestInit);
    const response = await postReport(request, { params: Promise.resolve({}) });
    const answer = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, {
      ...API_SECURITY_HEADERS,
      ...Object.fromEntries(response.headers),
      "Content-Length": answer.length,
    });
    res.end(answer);
  };
  // Node's own answer to a request it cannot parse has no headers at all.
  const rawRefusal = (status: number, reason: string) =>
    [
      `HTTP/1.1 ${status} ${reason}`,
      ...Object.entries({ ...API_SECURITY_HEADERS, "Content-Length": "0", Connection: "close" }).map(
        ([name, value]) => `${name}: ${value}`,
      ),
      "",
      "",
    ].join("\r\n");

  const app = next({ dev, dir: process.cwd(), hostname: config.host, port: config.port });
  await app.prepare();
  const handle = app.getRequestHandler();

  let stopping = false;
  const sockets = new Set<Socket>();
  const unanswered = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    // Once stopping, every answer closes its connection: a keep-alive client must reconnect
    // (and be refused) rather than keep the process serving until the grace period ends.
    if (stopping) res.setHeader("Connection", "close");
    unanswered.add(res);
    res.on("close", () => unanswered.delete(res));
    const pathname = (req.url ?? "/").split("?")[0];
    if (!SERVED_METHODS.includes(req.method ?? "")) return refuse(res, pathname, methodNotAllowed(SERVED_METHODS));
    if (isUndecodablePath(pathname))
      return refuse(res, pathname, badRequest("invalid_path", "The path is not valid percent-encoded UTF-8"));
    // The client's address, for sign-in rate limits and tokens' last use; a client cannot set it.
    req.headers[CLIENT_IP_HEADER] = clientAddressOf(
      req.socket.remoteAddress,
      req.headers["x-forwarded-for"],
      config.trustedProxies,
    );
    req.headers[CLIENT_IP_SEAL_HEADER] = seal;
    if (!dev && req.method === "POST" && pathname === "/api/report")
      return void serveIngest(req, res).catch((error: unknown) => {
        log.error("ingest request failed", describeError(error));
        if (res.headersSent) res.destroy();
        else refuse(res, pathname, toAppError(error));
      });
    void handle(req, res);
  });
  // Node closes an idle keep-alive connection after 5 s: a client or proxy that reuses it just
  // then (browsers, nginx's upstream pool) has its request reset. Outlast their idle times.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("connect", (_req, socket: Socket) => {
    socket.end(rawRefusal(405, "Method Not Allowed"));
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") return void socket.destroy();
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    socket.end(tooLarge ? rawRefusal(431, "Request Header Fields Too Large") : rawRefusal(400, "Bad Request"));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE")
      fail(`Cannot start: port ${config.port} on ${config.host} is already in use (set PORT to another)`);
    if (error.code === "EACCES") fail(`Cannot start: no permission to listen on port ${config.port}`);
    fail(`Cannot start: ${error.message}`);
  });
  server.listen(config.port, config.host, () => {
    const shown = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    log.info(`work-tracing ${dev ? "(development) " : ""}listening on http://${shown}:${config.port}`);
  });

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    for (const res of unanswered) if (!res.headersSent) res.setHeader("Connection", "close");
    log.info("shutting down", { signal });
    const force = setTimeout(() => {
      log.warn("requests still open after the grace period; closing them");
      for (const socket of sockets) socket.destroy();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // Stop accepting, let requests in flight finish, then commit what they handed over.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    try {
      await drainEventStore();
      await closeDb();
    } catch (error) {
      log.error("error while closing the database", describeError(error));
      process.exit(1);
    }
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error) => fail(`Cannot start: ${(error as Error).message}`));
