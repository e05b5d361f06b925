import "server-only";
import { cookies } from "next/headers";
import { cache } from "react";
import { redirect } from "next/navigation";
import { csrfTokenFor } from "@/lib/auth/csrf";
import { signInPath } from "@/lib/auth/next-path";
import { readSession, SESSION_COOKIE, type SignedIn } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db";

export type PageSession = SignedIn & { csrfToken: string };

/** The signed-in account behind the request's cookie, or null; read once per request (layout and page share it). */
export const readPageSession = cache(async (): Promise<PageSession | null> => {
  const cookie = (await cookies()).get(SESSION_COOKIE)?.value;
  const signedIn = cookie ? await readSession(getDb(), cookie) : null;
  return signedIn && cookie ? { ...signedIn, csrfToken: csrfTokenFor(cookie) } : null;
});

/**
 * Every page but sign-in starts with this: without a session it sends the browser to the
 * sign-in page, which brings it back to `path` afterwards.
 */
export async function requirePageSession(path: string): Promise<PageSession> {
  const session = await readPageSession();
  if (!session) redirect(signInPath(path));
  return session;
}
