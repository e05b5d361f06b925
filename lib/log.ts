import { getConfig, type LogFormat } from "./config.ts";

type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const wanted = (process.env.LOG_LEVEL ?? "info").toLowerCase();
  if (wanted === "silent") return Infinity;
  return order[wanted as Level] ?? order.info;
}

/**
 * LOG_FORMAT as the configuration says. While the configuration cannot be read (the line
 * that says why is being written), the environment's LOG_FORMAT=json is still honoured.
 */
function format(): LogFormat {
  try {
    return getConfig().logFormat;
  } catch {
    return process.env.LOG_FORMAT?.trim().toLowerCase() === "json" ? "json" : "text";
  }
}

const RESERVED = new Set(["time", "level", "msg"]);

/** Values JSON cannot hold as they are (bigints, errors) as text, so a log line never throws. */
function toJsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

function jsonLine(time: string, level: Level, message: string, fields?: Record<string, unknown>): string {
  const entry: Record<string, unknown> = { time, level, msg: message };
  for (const [key, value] of Object.entries(fields ?? {})) {
    // A field never hides the line's own time, level or message.
    if (value !== undefined) entry[RESERVED.has(key) ? `field_${key}` : key] = value;
  }
  try {
    return JSON.stringify(entry, toJsonValue);
  } catch {
    return JSON.stringify({ time, level, msg: message });
  }
}

function textLine(time: string, level: Level, message: string, fields?: Record<string, unknown>): string {
  const extra = fields
    ? Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${typeof value === "string" ? JSON.stringify(value) : String(value)}`)
        .join("")
    : "";
  return `${time} ${level.toUpperCase()} ${message}${extra}`;
}

type Stream = "stdout" | "stderr";
type RawWrite = (text: string) => unknown;

// The streams' own writers once captureProcessOutput has taken them over; on globalThis, since
// server.ts and Next's bundles each load a copy of this module.
const captured = globalThis as typeof globalThis & { __workTracingRawOutput?: Record<Stream, RawWrite> };

function emit(stream: Stream, line: string) {
  const raw = captured.__workTracingRawOutput?.[stream];
  if (raw) raw(`${line}\n`);
  else process[stream].write(`${line}\n`);
}

function write(level: Level, message: string, fields?: Record<string, unknown>) {
  if (order[level] < threshold()) return;
  const time = new Date().toISOString();
  const line = format() === "json" ? jsonLine(time, level, message, fields) : textLine(time, level, message, fields);
  emit(level === "error" || level === "warn" ? "stderr" : "stdout", line);
}

const TERMINAL_COLOURS = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * Under LOG_FORMAT=json, turns whatever else the process writes (Next's own lines, console.*,
 * Node's warnings) into JSON lines too, so a log collector never meets a plain line: each
 * write's complete lines become one entry (a stack trace stays whole), at info on stdout, at
 * warn or error on stderr. Does nothing under text, and nothing the second time.
 */
export function captureProcessOutput(): void {
  if (format() !== "json" || captured.__workTracingRawOutput) return;
  const take = (stream: Stream): RawWrite => {
    const target = process[stream];
    const original = target.write.bind(target) as RawWrite;
    let pending = "";
    target.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      pending += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      const end = pending.lastIndexOf("\n");
      if (end >= 0) {
        const text = pending.slice(0, end).replace(TERMINAL_COLOURS, "").trim();
        pending = pending.slice(end + 1);
        const level: Level = stream === "stdout" ? "info" : text.startsWith("⚠") ? "warn" : "error";
        if (text) original(`${jsonLine(new Date().toISOString(), level, text, { stream })}\n`);
      }
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as typeof target.write;
    return original;
  };
  captured.__workTracingRawOutput = { stdout: take("stdout"), stderr: take("stderr") };
}

/** One-line logs, text or JSON (LOG_FORMAT); never pass secrets or request bodies in fields. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
};

/**
 * The one line on stderr of a start that cannot go on: the message alone, as people read it,
 * or under LOG_FORMAT=json an error-level JSON line holding it.
 */
export function writeStartFailure(message: string): void {
  emit("stderr", format() === "json" ? jsonLine(new Date().toISOString(), "error", message) : message);
}

/** The safe part of an error for a log line: its class, code and message, no stack. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    error: error.message.split("\n")[0],
    errorType: error.name,
    code: typeof code === "string" ? code : undefined,
  };
}
