import "server-only";
import { redirect } from "next/navigation";
import { toAccountPrincipal, visibleUserKeys } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { loadFleetView, type FleetView } from "@/lib/devices/fleet";
import { requirePageSession, type PageSession } from "./session";

/** Whether an account's role opens the fleet page: admins, and supervisors for their employees' devices. */
const seesFleet = (role: string) => role === "admin" || role === "supervisor";

/** The fleet page's session: no session → sign-in; a viewer → the home page, which says why. */
export async function requireFleetPage(path: string): Promise<PageSession> {
  const session = await requirePageSession(path);
  if (!seesFleet(session.account.role)) redirect("/?denied=fleet");
  return session;
}

/** The devices the signed-in account may see: a supervisor limited to teams sees only their employees'. */
export async function loadFleetPage(session: PageSession): Promise<FleetView> {
  const db = getDb();
  return loadFleetView(
    db,
    getConfig().rules,
    Date.now(),
    await visibleUserKeys(db, toAccountPrincipal(session.account)),
  );
}
