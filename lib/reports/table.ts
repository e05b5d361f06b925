// The dashboard's employee tables: filtered, sorted and cut into pages on the server, over
// everyone the reader may see, so that a page of 10,000 employees carries only its own rows.

export type SortDirection = "asc" | "desc";

/** Rows per page a reader may choose; the first page of a small installation holds everyone. */
export const PAGE_SIZES = [10, 25, 50, 100, 200, 500] as const;
export const DEFAULT_PAGE_SIZE = 100;

export type TableQuery = {
  /** Part of the name, any letter case. */
  q?: string;
  team?: string;
  /** A live status (the today view only). */
  status?: string;
  sort?: string;
  dir?: SortDirection;
  /** From 1; past the last page means the last page. */
  page?: number;
  size?: number;
};

/** Where a page lies in the table its filter leaves. */
export type TablePage = {
  /** Everyone the reader may see. */
  total: number;
  /** Those the filter leaves, over every page. */
  matched: number;
  page: number;
  pages: number;
  size: number;
  /** The page's first row, counting from 1 (0 when nothing matched). */
  first: number;
  sort: string;
  dir: SortDirection;
};

type SortValue = string | number | null;

const collator = new Intl.Collator(undefined, { sensitivity: "base" });

/** Rows whose name contains `q` (any letter case) and, when a team is chosen, who belong to it. */
function filterRows<T extends { username: string; teams: string[] }>(
  rows: readonly T[],
  { q, team }: Pick<TableQuery, "q" | "team">,
): T[] {
  const needle = (q ?? "").trim().toLocaleLowerCase();
  return rows.filter(
    (row) => (!needle || row.username.toLocaleLowerCase().includes(needle)) && (!team || row.teams.includes(team)),
  );
}

/**
 * Rows ordered by `valueOf`, then by name; empty values (null) last whichever the direction,
 * so "no activity" never crowds the top of a list.
 */
function sortRows<T extends { username: string }>(
  rows: readonly T[],
  valueOf: (row: T) => SortValue,
  direction: SortDirection,
): T[] {
  const sign = direction === "asc" ? 1 : -1;
  const keyed = rows.map((row) => ({ row, value: valueOf(row) }));
  keyed.sort((a, b) => {
    const x = a.value;
    const y = b.value;
    const byName = () => collator.compare(a.row.username, b.row.username);
    if (x === y) return byName();
    if (x === null) return 1;
    if (y === null) return -1;
    const order = typeof x === "string" && typeof y === "string" ? collator.compare(x, y) : Number(x) - Number(y);
    return order === 0 ? byName() : order * sign;
  });
  return keyed.map(({ row }) => row);
}

/**
 * One page of `rows` after the filter and the order: `sorts` names each column a reader may
 * order by; an unknown one is the default's.
 */
export function pageRows<T extends { username: string; teams: string[] }>(
  rows: readonly T[],
  query: TableQuery,
  sorts: Record<string, (row: T) => SortValue>,
  defaults: { sort: string; dir: SortDirection; keep?: (row: T) => boolean },
): { rows: T[]; table: TablePage } {
  const sort = query.sort && Object.hasOwn(sorts, query.sort) ? query.sort : defaults.sort;
  const dir = query.dir ?? defaults.dir;
  const kept = defaults.keep ? rows.filter(defaults.keep) : rows;
  const matched = sortRows(filterRows(kept, query), sorts[sort], dir);
  const size = query.size ?? DEFAULT_PAGE_SIZE;
  const pages = Math.max(1, Math.ceil(matched.length / size));
  const page = Math.min(Math.max(1, query.page ?? 1), pages);
  const from = (page - 1) * size;
  return {
    rows: matched.slice(from, from + size),
    table: {
      total: rows.length,
      matched: matched.length,
      page,
      pages,
      size,
      first: matched.length ? from + 1 : 0,
      sort,
      dir,
    },
  };
}
