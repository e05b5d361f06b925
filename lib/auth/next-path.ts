/**
 * Where to go after signing in: a path on this site only (never `//host` or a URL), so the
 * sign-in page cannot be used to send someone elsewhere.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f\u007f]/.test(next) || next.startsWith("/sign-in") || next.startsWith("/auth/")) return "/";
  return next.slice(0, 2000);
}

export function signInPath(next: string, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...extra, ...(next !== "/" ? { next } : {}) });
  const query = params.toString();
  return `/sign-in${query ? `?${query}` : ""}`;
}
