"use client";

import { useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { DEFAULT_PAGE_SIZE, PAGE_SIZES, type SortDirection } from "@/lib/reports/table";

export type ViewParams = {
  q: string;
  team: string;
  /** A live status to keep (the today view). */
  status: string;
  sort: string;
  dir: SortDirection;
  page: number;
  size: number;
};

type Defaults = { sort: string; dir: SortDirection };

const wholeOr = (text: string | null, fallback: number) => (text && /^\d+$/.test(text) ? Number(text) : fallback);

/** The parameters that differ from the defaults, as the URL and the live refresh carry them. */
function toSearch(params: ViewParams, defaults: Defaults): Record<string, string> {
  const search: Record<string, string> = {};
  if (params.q) search.q = params.q;
  if (params.team) search.team = params.team;
  if (params.status) search.status = params.status;
  if (params.sort !== defaults.sort) search.sort = params.sort;
  if (params.dir !== defaults.dir) search.dir = params.dir;
  if (params.page > 1) search.page = String(params.page);
  if (params.size !== DEFAULT_PAGE_SIZE) search.size = String(params.size);
  return search;
}

/**
 * The table's filter, order and page, read from the URL so a link shares the view. Changing
 * them replaces the URL in place (Next keeps useSearchParams in step); the page then asks the
 * server for that page of the table (`tableSearch`). A new filter, order or size starts again
 * at the first page.
 */
export function useViewParams(defaults: Defaults): [ViewParams, (patch: Partial<ViewParams>) => void] {
  const search = useSearchParams();
  const size = wholeOr(search.get("size"), DEFAULT_PAGE_SIZE);
  const params: ViewParams = {
    q: search.get("q") ?? "",
    team: search.get("team") ?? "",
    status: search.get("status") ?? "",
    sort: search.get("sort") ?? defaults.sort,
    dir: search.get("dir") === "asc" ? "asc" : search.get("dir") === "desc" ? "desc" : defaults.dir,
    page: Math.max(1, wholeOr(search.get("page"), 1)),
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
  const update = useCallback(
    (patch: Partial<ViewParams>) => {
      const current = new URLSearchParams(window.location.search);
      const next = new URLSearchParams();
      // Keep what is not the table's (the date).
      for (const [key, value] of current)
        if (!["q", "team", "status", "sort", "dir", "page", "size"].includes(key)) next.set(key, value);
      const read = (key: string) => current.get(key) ?? "";
      const merged: ViewParams = {
        q: read("q"),
        team: read("team"),
        status: read("status"),
        sort: current.get("sort") ?? defaults.sort,
        dir: current.get("dir") === "asc" ? "asc" : current.get("dir") === "desc" ? "desc" : defaults.dir,
        page: patch.page ?? 1,
        size: wholeOr(current.get("size"), DEFAULT_PAGE_SIZE),
        ...patch,
      };
      for (const [key, value] of Object.entries(toSearch(merged, defaults))) next.set(key, value);
      const query = next.toString();
      window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
    },
    [defaults],
  );
  return [params, update];
}

/** The query string that asks the live refresh for the page shown ("" for the first page as it comes). */
export function tableSearch(params: ViewParams, defaults: Defaults): string {
  return new URLSearchParams(toSearch(params, defaults)).toString();
}

/** The filter parameters to keep in links to other dates (period navigation): not the page. */
export function carriedParams(params: ViewParams, defaults: Defaults): Record<string, string> {
  const { page: _page, ...carried } = toSearch({ ...params, status: "" }, defaults);
  return carried;
}
