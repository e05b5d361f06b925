import { spawn } from "node:child_process";
import { ROOT } from "./server";

/**
 * Fills a database the way an operator would: the demo script, through the real ingest path and
 * the hours engine. Resolves with what the script printed.
 */
export function fillDemo(url: string, { employees, days }: { employees: number; days: number }): Promise<string> {
  const args = ["--import", "tsx", "scripts/demo-data.ts", "--employees", String(employees), "--days", String(days)];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`demo-data exited with ${code}:\n${output}`)),
    );
  });
}
