import Link from "next/link";
import { localDateTimeOf } from "@/lib/time";
import { SiteHeader } from "@/app/_components/site-header";
import type { AdminPage } from "@/app/_data/admin";

export const inputClass =
  "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-950";
export { primaryButton, secondaryButton } from "./buttons";
export const card = "rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900";
export const sectionTitle = "mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400";

const SECTIONS = [
  { href: "/admin/accounts", label: "Accounts" },
  { href: "/admin/teams", label: "Teams" },
  { href: "/admin/tokens", label: "Tokens" },
  { href: "/admin/schedules", label: "Schedules" },
  { href: "/admin/holidays", label: "Holidays" },
  { href: "/admin/leave", label: "Leave" },
  { href: "/admin/audit", label: "Audit log" },
] as const;
/** What a supervisor may open here: leave for their teams' employees, nothing else. */
const SUPERVISOR_SECTIONS = new Set<string>(["/admin/leave"]);

/** A form posting to an admin action route, with the session's CSRF token and the operation. */
export function ActionForm({
  action,
  op,
  csrf,
  className,
  children,
  label,
}: {
  action: string;
  op: string;
  csrf: string;
  className?: string;
  children: React.ReactNode;
  label?: string;
}) {
  return (
    <form method="post" action={action} className={className} aria-label={label}>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="op" value={op} />
      {children}
    </form>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <p className="rounded-xl border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500 dark:border-slate-700 dark:text-slate-400">
      {children}
    </p>
  );
}

/** The frame of every admin page: title, who is signed in, the admin nav and the last form's outcome. */
export function AdminShell({
  page,
  current,
  title,
  children,
}: {
  page: AdminPage;
  current: string;
  title: string;
  children: React.ReactNode;
}) {
  const { account, csrfToken, flash } = page;
  return (
    <>
      <SiteHeader username={account.username} role={account.role} csrfToken={csrfToken} />
      <main id="main" tabIndex={-1} className="mx-auto max-w-7xl px-4 py-6 focus:outline-none sm:px-6 sm:py-8">
        <header className="mb-6">
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <nav aria-label="Admin" className="mt-4 flex flex-wrap gap-1 border-b border-slate-200 dark:border-slate-800">
            {SECTIONS.filter((section) => account.role === "admin" || SUPERVISOR_SECTIONS.has(section.href)).map(
              (section) => {
                const active = section.href === current;
                return (
                  <Link
                    key={section.href}
                    href={section.href}
                    aria-current={active ? "page" : undefined}
                    className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium focus:ring-2 focus:ring-sky-500/50 focus:outline-none ${
                      active
                        ? "border-sky-600 text-sky-700 dark:text-sky-400"
                        : "border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100"
                    }`}
                  >
                    {section.label}
                  </Link>
                );
              },
            )}
          </nav>
        </header>
        {flash ? (
          flash.kind === "error" ? (
            <p
              role="alert"
              className="mb-6 rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950 dark:text-rose-300"
            >
              {flash.message}
            </p>
          ) : (
            <div
              role="status"
              className="mb-6 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:border-emerald-900 dark:bg-emerald-950 dark:text-emerald-200"
            >
              <p>{flash.message}</p>
              {flash.token ? (
                <div className="mt-3">
                  <p className="font-medium">
                    Copy this token now: it is shown only this once and cannot be read again.
                  </p>
                  <label className="mt-2 block text-xs font-medium tracking-wide text-emerald-700 uppercase dark:text-emerald-300">
                    New token
                    <input
                      id="new-token"
                      readOnly
                      value={flash.token}
                      className="mt-1 block w-full rounded-lg border border-emerald-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 dark:border-emerald-800 dark:bg-slate-950 dark:text-slate-100"
                    />
                  </label>
                  <p className="mt-2 text-xs">
                    Select it and copy (Ctrl+C / ⌘C). Agents send it as{" "}
                    <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>.
                  </p>
                </div>
              ) : null}
            </div>
          )
        ) : null}
        {children}
      </main>
    </>
  );
}

/** A date and time in the report time zone, e.g. 2026-03-02 09:15:04. */
export function formatWhen(date: Date | null, timeZone: string): string {
  return date ? localDateTimeOf(date.getTime(), timeZone) : "—";
}
