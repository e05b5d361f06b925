import { createServer, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

const dev = process.argv.includes("--dev");
Object.assign(process.env, { NODE_ENV: dev ? "development" : "production" });

const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// Next answers a path it cannot percent-decode with a plain-text 500 (the API catch-all route
// decodes its segments); under /api that is the client's mistake and gets the JSON envelope.
function undecodableApiPath(url = "/"): boolean {
  const pathname = url.split("?")[0];
  if (!/^\/api(\/|$)/.test(pathname)) return false;
  try {
    decodeURIComponent(pathname);
    return false;
  } catch {
    return true;
  }
}

async function main() {
  const { getConfig, ConfigError } = await import("./lib/config.ts");
  const { prepareServer } = await import("./lib/server/startup.ts");
  const { closeDb } = await import("./lib/db/index.ts");
  const { drainEventStore } = await import("./lib/ingest/index.ts");
  const { log, describeError } = await import("./lib/log.ts");
  const { badRequest, toErrorEnvelope } = await import("./lib/errors.ts");
  const { isDatabaseUnavailable } = await import("./lib/db/errors.ts");
  const { CLIENT_IP_HEADER, CLIENT_IP_SEAL_HEADER, clientAddressOf, createClientAddressSeal } =
    await import("./lib/auth/request.ts");
  const { API_SECURITY_HEADERS } = await import("./lib/server/security-headers.ts");

  let config;
  try {
    config = getConfig();
    await prepareServer();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    const reason = (error as Error).message.split("\n")[0];
    if (isDatabaseUnavailable(error)) fail(`Cannot start: the database in DATABASE_URL cannot be reached (${reason})`);
    fail(`Cannot start: ${reason}`);
  }

  const seal = createClientAddressSeal();
  const { default: next } = await import("next");
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
    if (undecodableApiPath(req.url)) {
      const error = badRequest("invalid_path", "The path is not valid percent-encoded UTF-8");
      res
        .writeHead(error.status, { "Content-Type": "application/json", ...API_SECURITY_HEADERS })
        .end(JSON.stringify(toErrorEnvelope(error)));
      return;
    }
    // The client's address, for sign-in rate limits and tokens' last use; a client cannot set it.
    req.headers[CLIENT_IP_HEADER] = clientAddressOf(
      req.socket.remoteAddress,
      req.headers["x-forwarded-for"],
      config.trustedProxies,
    );
    req.headers[CLIENT_IP_SEAL_HEADER] = seal;
    void handle(req, res);
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
