import { safeNextPath, signInPath } from "@/lib/auth/next-path";
import { clientIp, isHttps, isSameOrigin, UNKNOWN_CLIENT_ADDRESS } from "@/lib/auth/request";
import { formatSessionCookie } from "@/lib/auth/sessions";
import { signIn } from "@/lib/auth/sign-in";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { crossSite, readForm, seeOther, tooBusy } from "../form";

export const dynamic = "force-dynamic";

/**
 * The sign-in form posts here; every answer is a redirect, to `next` or back to the form, or a
 * 429 with Retry-After when busy (hashing at its bound, or a limit full of attempts in flight).
 */
export async function POST(request: Request): Promise<Response> {
  if (!isSameOrigin(request)) return crossSite();
  const form = await readForm(request);
  const next = safeNextPath(form.get("next"));
  const username = String(form.get("username") ?? "").slice(0, 256);
  const password = String(form.get("password") ?? "");
  if (!username.trim() || !password) return seeOther(signInPath(next, { error: "missing", username }));
  try {
    const result = await signIn(getDb(), {
      username,
      password,
      ip: clientIp(request.headers) ?? UNKNOWN_CLIENT_ADDRESS,
      userAgent: request.headers.get("user-agent"),
    });
    if (!result.ok && result.reason === "locked") {
      return seeOther(signInPath(next, { error: "locked", seconds: String(result.retryAfterSeconds), username }));
    }
    if (!result.ok) return seeOther(signInPath(next, { error: "invalid", username }));
    return seeOther(next, {
      "Set-Cookie": formatSessionCookie(result.cookie, { secure: isHttps(request.url, request.headers) }),
    });
  } catch (error) {
    if (error instanceof AppError && error.status === 429) return tooBusy(error);
    log.error("sign-in failed", describeError(error));
    return seeOther(signInPath(next, { error: "unavailable", username }));
  }
}

export const GET = async () => seeOther("/sign-in");
