import { NextResponse, type NextRequest } from "next/server";
import { FLASH_COOKIE, FLASH_HEADER, FLASH_PATH } from "./app/admin/_lib/flash-cookie";
import { badRequest, toErrorEnvelope } from "./lib/errors";
import { API_SECURITY_HEADERS, pageContentSecurityPolicy } from "./lib/server/security-headers";

const API_PATH = /^\/api(\/|$)/;

function isUndecodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return false;
  } catch {
    return true;
  }
}

// Under a plain `next start` nothing runs before this: Next itself fails to decode such a path
// for a dynamic route and answers a bare 500 without the security headers (server.ts refuses
// it before Next).
function refuseUndecodablePath(pathname: string): NextResponse {
  const error = badRequest("invalid_path", "The path is not valid percent-encoded UTF-8");
  const api = API_PATH.test(pathname);
  return new NextResponse(api ? JSON.stringify(toErrorEnvelope(error)) : `${error.message}\n`, {
    status: error.status,
    headers: {
      "Content-Type": api ? "application/json" : "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      ...API_SECURITY_HEADERS,
    },
  });
}

/**
 * Gives every page a Content-Security-Policy with a fresh nonce. Next reads the policy from
 * the request headers and puts the nonce on the inline scripts it renders. The API is left
 * out (next.config.mjs gives it a fixed policy), so ingest pays nothing here. Access itself
 * is checked by each page and route, not here.
 */
export function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  if (isUndecodable(pathname)) return refuseUndecodablePath(pathname);
  // The API is matched only when its path holds a percent sign, for the check above.
  if (API_PATH.test(pathname)) return NextResponse.next();
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const policy = pageContentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", policy);
  // The page reads an admin form's sealed outcome from this header: clearing the cookie below
  // also hides it from the page's cookies().
  headers.delete(FLASH_HEADER);
  const flash = request.cookies.get(FLASH_COOKIE)?.value;
  if (flash) headers.set(FLASH_HEADER, flash);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  // An admin form's outcome (maybe a new token) is shown by the page load that follows the
  // post and by no other: the page still reads it from this request, the browser drops it.
  if (request.method === "GET" && !request.headers.has("next-router-prefetch") && flash !== undefined) {
    response.cookies.set(FLASH_COOKIE, "", { path: FLASH_PATH, maxAge: 0, httpOnly: true, sameSite: "strict" });
  }
  return response;
}

// Whole path segments: "/apixyz" is a page (a 404) and needs the pages' policy. An API path
// with a percent sign comes here only to be checked for one that cannot be decoded.
export const config = {
  matcher: [
    { source: "/((?!(?:api|_next/static|_next/image)(?:/|$)|favicon\\.ico$).*)" },
    { source: "/api/:rest(.*%.*)" },
  ],
};
