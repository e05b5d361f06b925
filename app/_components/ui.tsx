import Link from "next/link";

export const panel = "rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900";
/** A dashboard section's small heading (Periods, Hours per day, Who worked when). */
export const sectionTitle = "mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400";
export const buttonSecondary =
  "inline-flex items-center gap-1.5 rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-500/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
export const linkClass =
  "font-medium text-sky-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-500/50 rounded dark:text-sky-300";

/** A page's title, what it shows, and the controls that belong beside them. */
export function PageHeading({
  title,
  subtitle,
  children,
}: {
  title: React.ReactNode;
  subtitle?: React.ReactNode;
  children?: React.ReactNode;
}) {
  return (
    <div className="mb-6 flex flex-col gap-3 lg:flex-row lg:items-start lg:justify-between">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {subtitle ? <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{subtitle}</p> : null}
      </div>
      {children}
    </div>
  );
}

export function StatCard({
  label,
  value,
  detail,
  tone = "slate",
  testId,
}: {
  label: string;
  value: React.ReactNode;
  detail?: React.ReactNode;
  tone?: "slate" | "emerald" | "amber" | "sky";
  testId?: string;
}) {
  const accent = {
    slate: "text-slate-900 dark:text-slate-100",
    emerald: "text-emerald-700 dark:text-emerald-300",
    amber: "text-amber-700 dark:text-amber-300",
    sky: "text-sky-700 dark:text-sky-300",
  }[tone];
  return (
    <div className={`${panel} px-4 py-3`} data-testid={testId}>
      <p className="text-xs font-medium tracking-wide text-slate-500 uppercase dark:text-slate-400">{label}</p>
      <p className={`mt-1 text-2xl font-semibold tabular-nums ${accent}`}>{value}</p>
      {detail ? <p className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{detail}</p> : null}
    </div>
  );
}

export function TeamChips({ teams }: { teams: string[] }) {
  if (!teams.length) return <span className="text-slate-400 dark:text-slate-500">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {teams.map((team) => (
        <span
          key={team}
          className="rounded-md bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-300"
        >
          {team}
        </span>
      ))}
    </span>
  );
}

/** What is missing and what to do about it, in place of a table that has nothing to show. */
export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: React.ReactNode;
  action?: React.ReactNode;
}) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 px-6 py-10 text-center dark:border-slate-700">
      <p className="font-medium">{title}</p>
      {children ? (
        <div className="mx-auto mt-2 max-w-xl text-sm text-slate-600 dark:text-slate-400">{children}</div>
      ) : null}
      {action ? <div className="mt-4">{action}</div> : null}
    </div>
  );
}

/** A page that could not be built: why, and where to go from here. */
export function ErrorPanel({
  title,
  message,
  href,
  linkText,
}: {
  title: string;
  message: string;
  href: string;
  linkText: string;
}) {
  return (
    <div
      role="alert"
      className="rounded-xl border border-rose-200 bg-rose-50 px-6 py-8 text-center dark:border-rose-900 dark:bg-rose-950/60"
    >
      <p className="font-semibold text-rose-800 dark:text-rose-200">{title}</p>
      <p className="mt-2 text-sm text-rose-700 dark:text-rose-300">{message}</p>
      <Link href={href} className={`mt-4 inline-block ${linkClass}`}>
        {linkText}
      </Link>
    </div>
  );
}

/** Where no one has any data to show: how to get the first data in. */
export function NoDataYet({ title = "No activity has been reported yet" }: { title?: string }) {
  return (
    <EmptyState title={title}>
      <p>
        Install the Windows agent on a workstation (see{" "}
        <Link href="/status" className={linkClass}>
          Server
        </Link>{" "}
        for the address and token it needs), or fill this server with sample data:{" "}
        <code className="font-mono">npm run demo:data</code>.
      </p>
    </EmptyState>
  );
}

function Bar({ className }: { className: string }) {
  return <div className={`animate-pulse rounded-md bg-slate-200 dark:bg-slate-800 ${className}`} />;
}

/** The shape of a dashboard page while its numbers load. */
export function DashboardSkeleton({ cards = 4, heatmap = false }: { cards?: number; heatmap?: boolean }) {
  return (
    <div aria-busy="true" aria-label="Loading" className="space-y-6">
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        {Array.from({ length: cards }, (_, i) => (
          <div key={i} className={`${panel} space-y-2 px-4 py-3`}>
            <Bar className="h-3 w-24" />
            <Bar className="h-7 w-20" />
          </div>
        ))}
      </div>
      <Bar className="h-10 w-full max-w-md" />
      {heatmap ? <Bar className="h-48 w-full" /> : null}
      <div className={`${panel} space-y-3 p-4`}>
        {Array.from({ length: 8 }, (_, i) => (
          <Bar key={i} className="h-6 w-full" />
        ))}
      </div>
    </div>
  );
}

/** The period for payroll as CSV and XLSX: a row per employee, or a row per employee and day worked. */
export function ExportLinks({ period, date, username }: { period: string; date: string; username?: string }) {
  const href = (format: "csv" | "xlsx", by: "employee" | "day") => {
    const query = new URLSearchParams({ period, date });
    if (username) query.set("username", username);
    if (by === "day") query.set("by", "day");
    return `/api/reports/export.${format}?${query}`;
  };
  const part =
    "px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:relative focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-500/50 dark:text-slate-200 dark:hover:bg-slate-800";
  const group = (format: "csv" | "xlsx") => {
    const label = `Export ${format.toUpperCase()}`;
    return (
      <div
        role="group"
        aria-label={label}
        className="inline-flex divide-x divide-slate-300 overflow-hidden rounded-lg border border-slate-300 bg-white shadow-sm dark:divide-slate-700 dark:border-slate-700 dark:bg-slate-900"
      >
        <a
          href={href(format, "employee")}
          className={`${part} inline-flex items-center gap-1.5`}
          download
          title={
            username
              ? `The period's totals as ${format.toUpperCase()}`
              : `One row per employee with the period's totals, as ${format.toUpperCase()}`
          }
        >
          <svg
            viewBox="0 0 20 20"
            className="h-4 w-4"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.7"
            strokeLinecap="round"
            strokeLinejoin="round"
            aria-hidden="true"
          >
            <path d="M10 3v9m0 0-3.5-3.5M10 12l3.5-3.5M4 14.5V16h12v-1.5" />
          </svg>
          {label}
        </a>
        {period === "day" ? null : (
          <a
            href={href(format, "day")}
            className={part}
            download
            title={`One row per employee and day worked, as ${format.toUpperCase()}`}
          >
            by day
          </a>
        )}
      </div>
    );
  };
  return (
    <div className="flex flex-wrap gap-2">
      {group("csv")}
      {group("xlsx")}
    </div>
  );
}
