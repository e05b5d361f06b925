type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const wanted = (process.env.LOG_LEVEL ?? "info").toLowerCase();
  if (wanted === "silent") return Infinity;
  return order[wanted as Level] ?? order.info;
}

function write(level: Level, message: string, fields?: Record<string, unknown>) {
  if (order[level] < threshold()) return;
  const extra = fields
    ? Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${typeof value === "string" ? JSON.stringify(value) : String(value)}`)
        .join("")
    : "";
  const line = `${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}\n`;
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line);
}

/** Plain one-line logs; never pass secrets or request bodies in fields. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
};

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
