/**
 * Where to go after signing in: a path on this site only (never `//host` or a URL), so the
 * sign-in page cannot be used to send someone elsewhere. Anything outside printable ASCII is
 * percent-encoded, as a Location header can carry nothing else.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f\u007f]/.test(next) || next.startsWith("/sign-in") || next.startsWith("/auth/")) return "/";
  const encoded = next.toWellFormed().replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run));
  // Cut only before a whole %XX, so the cut never leaves half an escape.
  return encoded.length > 2000 ? encoded.slice(0, 2000).replace(/%[0-9A-F]?$/, "") : encoded;
}

export function signInPath(next: string, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...extra, ...(next !== "/" ? { next } : {}) });
  const query = params.toString();
  return `/sign-in${query ? `?${query}` : ""}`;
}
