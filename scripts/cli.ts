// What every command-line script shares: option parsing with one-line errors (exit 2) and a
// main that closes the database and turns any failure into one line (exit 1).
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "../lib/config.ts";
import { closeDb } from "../lib/db/index.ts";

/** A mistake in how the script was called: one line on stderr, exit code 2. */
export function failUsage(message: string): never {
  console.error(message);
  process.exit(2);
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<T extends Options> = ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"];

/** Parses the options, answers --help with the usage line, or stops with the usage line. */
export function parseCommandLine<const T extends Options>(options: T, usage: string): Values<T> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, strict: true }).values as Values<T>;
  } catch (error) {
    failUsage(`${(error as Error).message}\n${usage}`);
  }
}

/** Runs `main`, closes the database, and reports a failure as `<prefix>: <one line>` with exit code 1. */
export function runCommand(main: () => Promise<void>, prefix: string): void {
  main()
    .then(() => closeDb())
    .catch(async (error) => {
      const message = String((error as Error)?.message ?? error).split("\n")[0];
      console.error(error instanceof ConfigError ? message : `${prefix}: ${message}`);
      await closeDb().catch(() => undefined);
      process.exit(1);
    });
}
