import { isValidCsrfToken } from "@/lib/auth/csrf";
import { isHttps, isSameOrigin, readCookie } from "@/lib/auth/request";
import { endSession, formatSessionCookie, SESSION_COOKIE } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db";
import { crossSite, readForm, seeOther } from "../form";

export const dynamic = "force-dynamic";

/** Ends the session behind the cookie and removes the cookie; the form carries the session's CSRF token. */
export async function POST(request: Request): Promise<Response> {
  if (!isSameOrigin(request)) return crossSite();
  const cookie = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  const form = await readForm(request);
  if (cookie && !isValidCsrfToken(cookie, String(form.get("csrf") ?? ""))) return crossSite();
  if (cookie) await endSession(getDb(), cookie);
  return seeOther("/sign-in?signed_out=1", {
    "Set-Cookie": formatSessionCookie(null, { secure: isHttps(request.url, request.headers) }),
  });
}

export const GET = async () => seeOther("/");
