import { AppError } from "@/lib/errors";
import { authorize } from "@/lib/auth/authorize";
import { isValidCsrfToken } from "@/lib/auth/csrf";
import { signInPath } from "@/lib/auth/next-path";
import type { Principal } from "@/lib/auth/principal";
import { clientIp, credentialsFrom, isHttps, isSameOrigin } from "@/lib/auth/request";
import { getDb, type Db } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import { crossSite, readForm, seeOther } from "@/app/auth/form";
import { formatFlashCookie, sealFlash, type Flash } from "./flash";

type AdminContext = { db: Db; form: FormData; actor: string; ip: string | null; principal: Principal };
/** What an action did: the notice to show, and optionally a new token to show once. */
type ActionResult = { message: string; token?: string };
export type ActionHandler = (context: AdminContext) => Promise<ActionResult>;

const ADMIN_PAGES = [
  "/admin/accounts",
  "/admin/teams",
  "/admin/tokens",
  "/admin/audit",
  "/admin/schedules",
  "/admin/holidays",
  "/admin/leave",
];

/** Who may post a page's forms: admins, or (leave) supervisors too; and how large a form may be. */
type ActionOptions = { supervisors?: boolean; maxFormBytes?: number };

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });

/**
 * Every admin form post goes through this: a same-site post (Origin / Sec-Fetch-Site), an
 * admin's session (none → the sign-in page; another role → 403), the session's CSRF token,
 * then the action, whose lib/auth function writes the audit entry with the actor and the
 * client's address. The answer is a redirect back to `page` carrying the outcome.
 */
export async function runAdminAction(
  request: Request,
  page: string,
  actions: Record<string, ActionHandler>,
  options: ActionOptions = {},
): Promise<Response> {
  if (!isSameOrigin(request)) return crossSite();
  const credentials = credentialsFrom(request.headers);
  const db = getDb();
  let principal: Principal;
  try {
    // A bearer token, even a valid one, is a 403 here: admin forms need an admin's session.
    principal = await authorize(db, options.supervisors ? "read" : "admin", credentials);
    // A supervisor's form still needs a signed-in supervisor or admin: never a token, never a viewer.
    if (options.supervisors && (principal.kind !== "account" || principal.role === "viewer"))
      return text(403, "Only an admin or a supervisor may do this.");
  } catch (error) {
    if (error instanceof AppError && error.status === 401) return seeOther(signInPath(page));
    if (error instanceof AppError && error.status === 403) return text(403, "Only an admin may do this.");
    log.error("admin action: access check failed", describeError(error));
    return text(503, "The server cannot check access right now; try again shortly.");
  }
  const cookie = credentials.sessionCookie!;
  const form = await readForm(request, options.maxFormBytes);
  if (!isValidCsrfToken(cookie, String(form.get("csrf") ?? ""))) return crossSite();
  // A form may send the browser back to another admin page (the teams page sets supervisors' teams).
  const back = String(form.get("back") ?? "");
  if (ADMIN_PAGES.includes(back)) page = back;
  const actor = principal.kind === "account" ? principal.account.username : "unknown";
  const action = actions[String(form.get("op") ?? "")];
  let flash: Flash;
  if (!action) flash = { kind: "error", message: "Unknown action.", page };
  else {
    try {
      const result = await action({ db, form, actor, ip: clientIp(request.headers), principal });
      flash = { kind: "notice", message: result.message, ...(result.token ? { token: result.token } : {}), page };
    } catch (error) {
      if (error instanceof AppError && error.status < 500) flash = { kind: "error", message: error.message, page };
      else {
        log.error("admin action failed", describeError(error));
        flash = { kind: "error", message: "The server could not do that right now; try again shortly.", page };
      }
    }
  }
  return seeOther(page, {
    "Set-Cookie": formatFlashCookie(sealFlash(cookie, flash), { secure: isHttps(request.url, request.headers) }),
  });
}

/** A form field as trimmed text. */
export const field = (form: FormData, name: string) => String(form.get(name) ?? "").trim();

/** A form field as a positive id, or a 400. */
export function idField(form: FormData, name: string): number {
  const value = Number(field(form, name));
  if (!Number.isSafeInteger(value) || value < 1) throw new AppError(400, "invalid_input", `${name} must be an id`);
  return value;
}
