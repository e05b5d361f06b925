import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { EventStream, missingEvents, type StreamEvent } from "../helpers/event-stream";
import { isAlive, killTree, serverProcess, terminate } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

// server.ts's SHUTDOWN_GRACE_MS.
const GRACE_MS = 10_000;
const CONNECTION_ERRORS = ["ECONNREFUSED", "ECONNRESET", "EPIPE"];

/** Connects and resolves with "connected" or the error code. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A POST whose body arrives in two parts, so that it is in flight for as long as the test wants. */
function slowPost(port: number, event: StreamEvent, token: string) {
  const body = JSON.stringify(event);
  const half = Math.floor(body.length / 2);
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk) => (received += chunk));
  const ended = new Promise<string>((resolve) => {
    socket.on("close", () => resolve(received));
    socket.on("error", () => undefined);
  });
  const started = new Promise<void>((resolve) =>
    socket.once("connect", () => {
      socket.write(
        `POST /api/report HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
        () => resolve(),
      );
    }),
  );
  return {
    started,
    /** Sends the rest and resolves with the raw response once the server closes the connection. */
    async finish(): Promise<string> {
      socket.write(body.slice(half));
      return ended;
    },
  };
}

describe.each(PROVIDERS)("SIGTERM during ingest on %s", (provider) => {
  let database: TestDatabase;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(provider);
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  it(
    "finishes what is in flight, refuses new connections and exits 0 within the grace period",
    { timeout: 120_000 },
    async () => {
      const token = await ingestTokenFor(database.url);
      server = await startServer({ DATABASE_URL: database.url });
      const stream = new EventStream(server.url, { prefix: "term", concurrency: 16, headers: bearer(token) });
      const slowEvent: StreamEvent = {
        user: "term-slow",
        state: "working",
        ts: new Date(Date.now() - 1000).toISOString(),
      };
      const slow = slowPost(server.port, slowEvent, token);
      await slow.started;
      await stream.waitForAcks(300);

      const pid = serverProcess(server.child.pid!);
      const signalledAt = Date.now();
      const exited = terminate(server);

      // The slow request keeps the process alive; meanwhile the port must refuse new connections.
      let refused = "connected";
      while (refused === "connected" && Date.now() - signalledAt < 5000) {
        refused = await tryConnect(server.port);
        if (refused === "connected") await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Refused outright, or reset when the connection raced the listener closing.
      expect(["ECONNREFUSED", "ECONNRESET"]).toContain(refused);
      expect(isAlive(pid), "the process waits for the request in flight").toBe(true);

      const response = await slow.finish();
      expect(response).toMatch(/^HTTP\/1\.1 201 /);
      expect(response).toMatch(/\r\nconnection: close\r\n/i);

      const code = await exited;
      const tookMs = Date.now() - signalledAt;
      const summary = await stream.stop();
      server = undefined;
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(GRACE_MS);

      const report = JSON.stringify(stream.report());
      // Every answer was a real one: never a 500 or 503 while closing.
      expect(summary.statuses, report).toEqual({ 201: expect.any(Number) });
      expect(
        Object.keys(summary.errors).filter((code) => !CONNECTION_ERRORS.includes(code)),
        report,
      ).toEqual([]);
      expect(summary.errors.ECONNREFUSED, report).toBeGreaterThan(0);
      expect(summary.miscounted).toBe(0);

      const missing = await missingEvents(provider, database.url, [...summary.acked, slowEvent]);
      expect(missing, `${missing.length} acknowledged events lost`).toEqual([]);
    },
  );
});
