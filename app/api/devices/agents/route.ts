import { createAgentPackage } from "@/lib/auth/agent-package";
import { isValidCsrfToken } from "@/lib/auth/csrf";
import { clientIp, credentialsFrom, isSameOrigin, reachedOrigin } from "@/lib/auth/request";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { readForm } from "@/app/auth/form";
import { rejectMethod, withApi } from "../../_lib/respond";

export const dynamic = "force-dynamic";

const field = (form: FormData, name: string) => String(form.get(name) ?? "").trim();

/**
 * "Add agents" on the fleet page (admins, by their session): a new ingest token and, in this
 * answer only, the agent's zip with it in config.env. The token also comes back in a header
 * for the page to show once; nothing of it is kept but its hash.
 */
export const POST = withApi(
  async (request, _context, principal) => {
    if (!isSameOrigin(request)) throw new AppError(403, "cross_site", "Cross-site form posts are refused");
    const form = await readForm(request);
    const cookie = credentialsFrom(request.headers).sessionCookie;
    if (!cookie || !isValidCsrfToken(cookie, field(form, "csrf")))
      throw new AppError(403, "csrf", "The form's CSRF token is missing or wrong; reload the page and try again");
    const made = await createAgentPackage(
      getDb(),
      { name: field(form, "name"), serverUrl: field(form, "server_url"), reachedUrl: reachedOrigin(request) },
      { actor: principal.kind === "account" ? principal.account.username : "unknown", ip: clientIp(request.headers) },
    );
    return new Response(made.zip, {
      headers: {
        "Content-Type": "application/zip",
        "Content-Disposition": `attachment; filename="${made.filename}"`,
        "Cache-Control": "no-store",
        "X-Agent-Token": made.token,
        "X-Agent-Server": made.serverUrl,
      },
    });
  },
  { access: "admin" },
);

export const GET = rejectMethod(["POST"]);
export const PUT = GET;
export const PATCH = GET;
export const DELETE = GET;
