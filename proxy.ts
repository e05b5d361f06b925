import { NextResponse, type NextRequest } from "next/server";
import { pageContentSecurityPolicy } from "./lib/security-headers";

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
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  matcher: [{ source: "/((?!api|_next/static|_next/image|favicon.ico).*)" }],
};
