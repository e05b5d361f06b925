import { parseArgs } from "node:util";

type Count = { default: number; max: number };

/**
 * The command line every dashboard-style benchmark takes: whole-number counts from 1 to their
 * maximum, `--postgres <url>`, the benchmark's own text options and `--help`. A bad count prints
 * the help and exits 2.
 */
export function parseBenchOptions<K extends string, T extends string = never>(
  help: string,
  counts: Record<K, Count>,
  texts: readonly T[] = [],
): Record<K, number> & { postgres?: string } & Partial<Record<T, string>> {
  const names = Object.keys(counts) as K[];
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(names.map((name) => [name, { type: "string", default: String(counts[name].default) }])),
      ...Object.fromEntries(texts.map((name) => [name, { type: "string" }])),
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
  const text = Object.fromEntries(texts.map((name) => [name, (values as Record<string, unknown>)[name]]));
  return { ...parsed, ...(text as Partial<Record<T, string>>), postgres: values.postgres as string | undefined };
}
