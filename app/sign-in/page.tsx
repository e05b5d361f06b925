import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { safeNextPath } from "@/lib/auth/next-path";
import { readPageSession } from "../_data/session";
import { signInMessage } from "./messages";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? "";

// The one page open without a session: it posts to /auth/sign-in (same-origin checked).
export default async function SignInPage({ searchParams }: { searchParams: Search }) {
  const search = await searchParams;
  const next = safeNextPath(one(search.next));
  if (await readPageSession()) redirect(next);
  const error = signInMessage(one(search.error), one(search.seconds));
  const signedOut = one(search.signed_out) === "1";
  const inputClass =
    "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-950";
  return (
    <main
      id="main"
      tabIndex={-1}
      className="flex min-h-screen items-center justify-center px-6 py-12 focus:outline-none"
    >
      <div className="w-full max-w-sm">
        <h1 className="text-center text-2xl font-semibold tracking-tight">work-tracing</h1>
        <p className="mt-2 text-center text-sm text-slate-600 dark:text-slate-400">
          Sign in to see working time and Real Work Hours.
        </p>
        <form
          method="post"
          action="/auth/sign-in"
          className="mt-8 space-y-5 rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900"
        >
          {error ? (
            <p
              role="alert"
              className="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-300"
            >
              {error}
            </p>
          ) : signedOut ? (
            <p
              role="status"
              className="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-700 dark:border-emerald-900 dark:bg-emerald-950 dark:text-emerald-300"
            >
              You are signed out.
            </p>
          ) : null}
          <input type="hidden" name="next" value={next} />
          <label className="block text-sm font-medium">
            Username
            <input
              name="username"
              autoComplete="username"
              required
              autoFocus
              defaultValue={one(search.username)}
              className={inputClass}
            />
          </label>
          <label className="block text-sm font-medium">
            Password
            <input name="password" type="password" autoComplete="current-password" required className={inputClass} />
          </label>
          <button
            type="submit"
            className="w-full rounded-lg bg-sky-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:ring-2 focus:ring-sky-500/50 focus:outline-none"
          >
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
