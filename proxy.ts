import { NextResponse, type NextRequest } from "next/server";
import { FLASH_COOKIE, FLASH_HEADER, FLASH_PATH } from "./app/admin/_lib/flash-cookie";
import { pageContentSecurityPolicy } from "./lib/server/security-headers";

/**
 * Gives every page a Content-Security-Policy with a fresh nonce. Next reads the policy from
 * the request headers and puts the nonce on the inline scripts it renders. The API is left
 * out (next.config.mjs gives it a fixed policy), so ingest pays nothing here. Access itself
 * is checked by each page and route, not here.
 */
export function proxy(request: NextRequest) {
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

// Whole path segments: "/apixyz" is a page (a 404) and needs the pages' policy.
export const config = {
  matcher: [{ source: "/((?!(?:api|_next/static|_next/image)(?:/|$)|favicon\\.ico$).*)" }],
};
