"use client";

import { useSearchParams } from "next/navigation";
import { useCallback } from "react";
import type { SortDirection } from "./rows";

export type ViewParams = { q: string; team: string; sort: string; dir: SortDirection };

/**
 * The table's filter and order, read from the URL so a link shares the view. Changing them
 * replaces the URL in place (Next keeps useSearchParams in step) without asking the server again.
 */
export function useViewParams(defaults: {
  sort: string;
  dir: SortDirection;
}): [ViewParams, (patch: Partial<ViewParams>) => void] {
  const search = useSearchParams();
  const params: ViewParams = {
    q: search.get("q") ?? "",
    team: search.get("team") ?? "",
    sort: search.get("sort") ?? defaults.sort,
    dir: search.get("dir") === "asc" ? "asc" : search.get("dir") === "desc" ? "desc" : defaults.dir,
  };
  const update = useCallback(
    (patch: Partial<ViewParams>) => {
      const next = new URLSearchParams(window.location.search);
      for (const [key, value] of Object.entries(patch)) {
        const isDefault = (key === "sort" && value === defaults.sort) || (key === "dir" && value === defaults.dir);
        if (!value || isDefault) next.delete(key);
        else next.set(key, value);
      }
      const query = next.toString();
      window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
    },
    [defaults.sort, defaults.dir],
  );
  return [params, update];
}

/** The filter parameters to keep in links to other dates (period navigation, CSV). */
export function carriedParams(
  { q, team, sort, dir }: ViewParams,
  defaults: { sort: string; dir: SortDirection },
): Record<string, string> {
  const carried: Record<string, string> = {};
  if (q) carried.q = q;
  if (team) carried.team = team;
  if (sort !== defaults.sort) carried.sort = sort;
  if (dir !== defaults.dir) carried.dir = dir;
  return carried;
}
