// A small HTTP server that misbehaves as networks do, for the agent's tests (Network.Tests.ps1):
// a captive portal, a proxy wanting credentials, a middlebox answering 4xx, a server whose clock
// is off. It answers POST /api/report with the next scripted answer, and records every request.
//
//   node fake-network.mjs <script.json>     prints "LISTENING <port>" once ready
//
// The script: { "answers": [answer, ...], "default": answer, "clockOffsetSeconds": n }
// An answer is { "status", "headers", "body" } sent as is, or { "kind": "accept" } (the real
// server's 201 for a batch, storing its events), or { "kind": "reject", "indexes": [...] } (the
// real server's 400 naming those events as invalid, with the others accepted when any are valid,
// as the server does), or { "kind": "too-large", "max": n } (413 above n events, else accept).
// "clockOffsetSeconds" shifts the Date header of every answer (negative: the server is behind).
// GET /__log returns what was received; GET /portal is a captive portal's HTML page.
import http from "node:http";
import { readFileSync } from "node:fs";

const script = JSON.parse(readFileSync(process.argv[2], "utf8"));
const answers = [...(script.answers ?? [])];
const fallback = script.default ?? { kind: "accept" };
const offsetMs = (script.clockOffsetSeconds ?? 0) * 1000;
const log = { requests: [], stored: [] };

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { "content-type": "application/json", date: serverDate(), ...headers });
  res.end(JSON.stringify(body));
};
const serverDate = () => new Date(Date.now() + offsetMs).toUTCString();

function eventsOf(text) {
  try {
    const body = JSON.parse(text);
    return Array.isArray(body) ? body : Array.isArray(body?.events) ? body.events : [body];
  } catch {
    return [];
  }
}

function answer(res, a, events) {
  if (a.kind === "accept") {
    // As the server: an event more than 5 minutes ahead of its clock is refused.
    const limit = Date.now() + offsetMs + 5 * 60_000;
    const future = events.flatMap((e, i) => (Date.parse(e.ts) > limit ? [i] : []));
    if (future.length) return answer(res, { kind: "reject", indexes: future }, events);
  }
  if (a.kind === "accept" || (a.kind === "too-large" && events.length <= a.max)) {
    log.stored.push(...events);
    return json(res, 201, { success: true, accepted: events.length, duplicates: 0, rejected: [] });
  }
  if (a.kind === "too-large") {
    return json(res, 413, { success: false, error: { code: "payload_too_large", message: "too many events" } });
  }
  if (a.kind === "reject") {
    const bad = new Set(a.indexes);
    const details = [...bad].map((index) => ({
      index,
      field: "ts",
      message: "ts is more than 5 minutes in the future",
    }));
    const good = events.filter((_, i) => !bad.has(i));
    if (!good.length)
      return json(res, 400, {
        success: false,
        error: { code: "no_valid_events", message: "No event in the batch is valid", details },
      });
    log.stored.push(...good);
    const rejected = details.map((d) => ({ index: d.index, error: { code: "invalid_event", message: d.message } }));
    return json(res, 201, { success: true, accepted: good.length, duplicates: 0, rejected });
  }
  res.writeHead(a.status, { date: serverDate(), ...(a.headers ?? {}) });
  res.end(a.body ?? "");
}

const server = http.createServer((req, res) => {
  let text = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => (text += chunk));
  req.on("end", () => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/__log") return json(res, 200, log);
    const events = eventsOf(text);
    log.requests.push({ method: req.method, path: url.pathname, events: req.method === "POST" ? events : [] });
    if (url.pathname === "/portal") {
      res.writeHead(200, { "content-type": "text/html", date: serverDate() });
      return res.end("<html><body>Accept the terms of use to continue</body></html>");
    }
    if (url.pathname === "/api/health") return json(res, 200, { success: true, data: { status: "ok" } });
    if (url.pathname === "/api/report" && req.method === "POST")
      return answer(res, answers.length ? answers.shift() : fallback, events);
    json(res, 404, { success: false, error: { code: "not_found", message: "No such resource" } });
  });
});
server.listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
