import type { Metadata } from "next";
import Link from "next/link";
import { loadAudit, reportTimeZone, requireAdminPage } from "@/app/_data/admin";
import { AdminShell, card, Empty, formatWhen, secondaryButton } from "../_lib/ui";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit log · Admin" };

type Search = Promise<Record<string, string | string[] | undefined>>;

const ACTIONS: Record<string, string> = {
  "account.create": "created account",
  "account.role": "changed role",
  "account.password": "reset password",
  "account.disable": "disabled account",
  "account.enable": "enabled account",
  "account.teams": "set supervisor's teams",
  "team.create": "created team",
  "team.delete": "deleted team",
  "team.members": "set team members",
  "token.create": "created token",
  "token.revoke": "revoked token",
};

function describeDetails(details: unknown): string {
  if (!details || typeof details !== "object") return "";
  return Object.entries(details as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}`)
    .join(" · ");
}

export default async function AuditPage({ searchParams }: { searchParams: Search }) {
  const page = await requireAdminPage("/admin/audit");
  const raw = (await searchParams).page;
  const wanted = Math.max(1, Math.trunc(Number(Array.isArray(raw) ? raw[0] : raw)) || 1);
  const audit = await loadAudit(wanted);
  const timeZone = reportTimeZone();
  const pages = Math.max(1, Math.ceil(audit.total / audit.pageSize));
  return (
    <AdminShell page={page} current="/admin/audit" title="Audit log">
      <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
        Every admin action, newest first. Times are in {timeZone}.
      </p>
      {audit.entries.length === 0 ? (
        <Empty>{audit.total === 0 ? "Nothing has been recorded yet." : "No entries on this page."}</Empty>
      ) : (
        <div className={`${card} overflow-x-auto p-0`}>
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-3">
                  When ({timeZone})
                </th>
                <th scope="col" className="px-4 py-3">
                  Who
                </th>
                <th scope="col" className="px-4 py-3">
                  What
                </th>
                <th scope="col" className="px-4 py-3">
                  Target
                </th>
                <th scope="col" className="px-4 py-3">
                  From
                </th>
              </tr>
            </thead>
            <tbody>
              {audit.entries.map((entry) => (
                <tr key={entry.id} className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800">
                  <td className="px-4 py-3 whitespace-nowrap text-slate-600 dark:text-slate-400">
                    <time dateTime={entry.at.toISOString()}>{formatWhen(entry.at, timeZone)}</time>
                  </td>
                  <td className="px-4 py-3 font-medium">{entry.actor}</td>
                  <td className="px-4 py-3">
                    {ACTIONS[entry.action] ?? entry.action}
                    <span className="block font-mono text-xs text-slate-500 dark:text-slate-400">{entry.action}</span>
                  </td>
                  <td className="px-4 py-3">
                    {entry.target ?? "—"}
                    {entry.details ? (
                      <span className="block max-w-sm text-xs break-words text-slate-500 dark:text-slate-400">
                        {describeDetails(entry.details)}
                      </span>
                    ) : null}
                  </td>
                  <td className="px-4 py-3 font-mono text-xs whitespace-nowrap">{entry.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav aria-label="Audit pages" className="mt-4 flex items-center justify-between text-sm">
        <span className="text-slate-600 dark:text-slate-400">
          Page {audit.page} of {pages} · {audit.total} entr{audit.total === 1 ? "y" : "ies"}
        </span>
        <span className="flex gap-2">
          {audit.page > 1 ? (
            <Link href={`/admin/audit?page=${audit.page - 1}`} className={secondaryButton}>
              Newer
            </Link>
          ) : null}
          {audit.page < pages ? (
            <Link href={`/admin/audit?page=${audit.page + 1}`} className={secondaryButton}>
              Older
            </Link>
          ) : null}
        </span>
      </nav>
    </AdminShell>
  );
}
