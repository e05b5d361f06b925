// Filtering and sorting of the employee tables, shared by every view; the URL carries the choice.

export type SortDirection = "asc" | "desc";

export type RowFilter = { q: string; team: string };

/** Rows whose name contains `q` (any letter case) and, when a team is chosen, who belong to it. */
export function filterRows<T extends { username: string; teams: string[] }>(
  rows: readonly T[],
  { q, team }: RowFilter,
): T[] {
  const needle = q.trim().toLocaleLowerCase();
  return rows.filter(
    (row) => (!needle || row.username.toLocaleLowerCase().includes(needle)) && (!team || row.teams.includes(team)),
  );
}

type SortValue = string | number | null;

/**
 * Rows ordered by `key`'s value, then by name; empty values (null) last whichever the
 * direction, so "no activity" never crowds the top of a list.
 */
export function sortRows<T extends { username: string }>(
  rows: readonly T[],
  valueOf: (row: T) => SortValue,
  direction: SortDirection,
): T[] {
  const sign = direction === "asc" ? 1 : -1;
  const byName = (a: T, b: T) => a.username.localeCompare(b.username, undefined, { sensitivity: "base" });
  return [...rows].sort((a, b) => {
    const x = valueOf(a);
    const y = valueOf(b);
    if (x === y) return byName(a, b);
    if (x === null) return 1;
    if (y === null) return -1;
    const order =
      typeof x === "string" && typeof y === "string"
        ? x.localeCompare(y, undefined, { sensitivity: "base" })
        : Number(x) - Number(y);
    return order === 0 ? byName(a, b) : order * sign;
  });
}
