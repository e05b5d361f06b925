import { authorize, type Need } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { credentialsFrom } from "@/lib/auth/request";
import { getDb } from "@/lib/db";

/**
 * What a route needs: one of the credentials of `Need`, or `public` for the paths that tell
 * nothing about anyone (health) or check their own secret (the cron route).
 */
export type Access = Need | "public";

/** The principal behind the request's credentials, allowed `need`; otherwise a 401 or 403. */
export function requirePrincipal(request: Request, need: Need): Promise<Principal> {
  return authorize(getDb(), need, credentialsFrom(request.headers));
}
