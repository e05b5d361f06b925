import "server-only";
import { toAccountPrincipal, visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import {
  loadDashboardView,
  loadEmployeeView,
  type EmployeeView,
  type PeriodView,
  type TodayView,
} from "@/lib/reports/dashboard";
import { dashboardQuerySchema, parseQuery, timelineQuerySchema, type DashboardView } from "@/lib/reports/schemas";
import type { PageSession } from "./session";

/** The employees the signed-in account may see: a supervisor limited to teams sees only theirs. */
async function visibleFor(session: PageSession) {
  return visibleUserKeys(getDb(), toAccountPrincipal(session.account));
}

/** The page's search parameters: the first of each, as the live refresh sends them. */
export type PageSearch = Record<string, string | string[] | undefined>;

/** The page's path with its search parameters, to come back to after signing in (a shared link). */
export function pathWithSearch(path: string, search: PageSearch): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(search)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first) query.set(key, first);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * The view behind a dashboard page, with the table's filter, order and page from the URL; a
 * bad date or parameter is a 400 AppError the page explains.
 */
export async function loadDashboardPage(
  session: PageSession,
  view: DashboardView,
  search: PageSearch,
): Promise<TodayView | PeriodView> {
  const first = Object.fromEntries(
    Object.entries(search).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]),
  );
  const query = parseQuery(dashboardQuerySchema, { ...first, view });
  return loadDashboardView(getDb(), query, getConfig().rules, Date.now(), await visibleFor(session));
}

/** One employee's page; unknown or not visible is a 404 AppError. */
export async function loadEmployeePage(
  session: PageSession,
  username: string,
  date: string | undefined,
): Promise<EmployeeView> {
  const query = parseQuery(timelineQuerySchema, { username, date });
  return loadEmployeeView(getDb(), query, getConfig().rules, Date.now(), await visibleFor(session));
}

/** Minutes of continuous work that count as one Real Work Hour, for the pages' explanations. */
export const realHourBlockMinutes = () => getConfig().realHourBlockMinutes;
