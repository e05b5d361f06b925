import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { listAccounts } from "@/lib/auth/accounts";
import { listAudit } from "@/lib/auth/audit";
import { listTeams } from "@/lib/auth/teams";
import { listTokens } from "@/lib/auth/tokens";
import { SESSION_COOKIE } from "@/lib/auth/sessions";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { listDevicesByToken } from "@/lib/devices/fleet";
import { visibleUserKeys, toAccountPrincipal } from "@/lib/auth/principal";
import { listHolidays, listLeave, listSchedules } from "@/lib/schedules/store";
import { FLASH_HEADER } from "../admin/_lib/flash-cookie";
import { openFlash, type Flash } from "../admin/_lib/flash";
import { requirePageSession, type PageSession } from "./session";

export type AdminPage = PageSession & { flash: Flash | null };

/**
 * Every admin page starts with this: no session → the sign-in page; a session that is not an
 * admin's → the home page. It also reads the outcome of the form just posted, if it was for
 * this page (proxy.ts has the browser drop it, so it is shown once).
 */
export async function requireAdminPage(path: string): Promise<AdminPage> {
  const session = await requirePageSession(path);
  if (session.account.role !== "admin") redirect("/?denied=admin");
  // proxy.ts hands the page the flash cookie's value in a header, and has the browser drop it.
  const flash = openFlash((await cookies()).get(SESSION_COOKIE)?.value ?? "", (await headers()).get(FLASH_HEADER));
  return { ...session, flash: flash?.page === path ? flash : null };
}

/**
 * The leave page: admins (every employee) and supervisors (their own teams' employees). Viewers
 * go home; `visible` is whom the reader may enter leave for (null: everyone).
 */
export async function requireLeavePage(path: string): Promise<AdminPage & { visible: Set<string> | null }> {
  const session = await requirePageSession(path);
  if (session.account.role !== "admin" && session.account.role !== "supervisor") redirect("/?denied=admin");
  const flash = openFlash((await cookies()).get(SESSION_COOKIE)?.value ?? "", (await headers()).get(FLASH_HEADER));
  const visible = await visibleUserKeys(getDb(), toAccountPrincipal(session.account));
  return { ...session, flash: flash?.page === path ? flash : null, visible };
}

export const loadSchedules = () => listSchedules(getDb());
export const loadHolidays = () => listHolidays(getDb());
export const loadLeave = (visible: Set<string> | null, username?: string) => listLeave(getDb(), { username }, visible);
export const loadAccounts = () => listAccounts(getDb());
export const loadTeams = () => listTeams(getDb());
export const loadTokens = () => listTokens(getDb());
/** Per token, the devices whose latest request came with it: they fall silent when it is revoked. */
export const loadTokenDevices = () => listDevicesByToken(getDb());
export const loadAudit = (page: number) => listAudit(getDb(), { page, pageSize: 50 });
export const reportTimeZone = () => getConfig().reportTimezone;
