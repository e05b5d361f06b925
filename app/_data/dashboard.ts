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

/** The view behind a dashboard page; a bad date is a 400 AppError the page explains. */
export async function loadDashboardPage(
  session: PageSession,
  view: DashboardView,
  date: string | undefined,
): Promise<TodayView | PeriodView> {
  const query = parseQuery(dashboardQuerySchema, { view, date });
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
