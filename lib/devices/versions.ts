/**
 * Orders agent versions: numeric parts compared as numbers ("2.10.0" after "2.9.1"), then the
 * rest as text; no version (the original agent, which sends none) before every version.
 */
export function compareAgentVersions(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const partsA = a.split(/[^0-9A-Za-z]+/);
  const partsB = b.split(/[^0-9A-Za-z]+/);
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
    const x = partsA[i] ?? "";
    const y = partsB[i] ?? "";
    const order =
      /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y, "en", { numeric: true });
    if (order !== 0) return Math.sign(order);
  }
  return a.localeCompare(b);
}

/** The newest version among `versions`, or null when there is none. */
export function newestVersion(versions: Iterable<string | null>): string | null {
  let newest: string | null = null;
  for (const version of versions) if (compareAgentVersions(version, newest) > 0) newest = version;
  return newest;
}
