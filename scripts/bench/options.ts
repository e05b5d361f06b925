import { parseArgs } from "node:util";

type Count = { default: number; max: number };

/**
 * The command line every dashboard-style benchmark takes: whole-number counts from 1 to their
 * maximum, `--postgres <url>` and `--help`. A bad count prints the help and exits 2.
 */
export function parseBenchOptions<K extends string>(
  help: string,
  counts: Record<K, Count>,
): Record<K, number> & { postgres?: string } {
  const names = Object.keys(counts) as K[];
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(names.map((name) => [name, { type: "string", default: String(counts[name].default) }])),
      postgres: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(help);
    process.exit(0);
  }
  const parsed = {} as Record<K, number>;
  for (const name of names) {
    const n = Number((values as Record<string, unknown>)[name]);
    const { max } = counts[name];
    if (!Number.isInteger(n) || n < 1 || n > max) {
      process.stderr.write(`--${name} must be a whole number from 1 to ${max}\n${help}`);
      process.exit(2);
    }
    parsed[name] = n;
  }
  return { ...parsed, postgres: values.postgres as string | undefined };
}
