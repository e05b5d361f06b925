import { formatWhenRelative } from "./format";

export type Status = "working" | "idle" | "offline";

const LOOK: Record<Status, { label: string; pill: string; dot: string; halo: string }> = {
  working: {
    label: "Working",
    pill: "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25",
    dot: "bg-emerald-500 dark:bg-emerald-400",
    halo: "bg-emerald-400/70 dark:bg-emerald-400/50",
  },
  idle: {
    label: "Idle",
    pill: "bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25",
    dot: "bg-amber-500 dark:bg-amber-400",
    halo: "",
  },
  offline: {
    label: "Offline",
    pill: "bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-400/10 dark:text-slate-300 dark:ring-slate-400/20",
    dot: "bg-slate-400 dark:bg-slate-500",
    halo: "",
  },
};

/** The live status of one employee as a coloured pill: "● Working since 09:14". */
export function StatusBadge({
  status,
  since,
  today,
  timeZone,
  className = "",
}: {
  status: Status;
  since: string;
  today: string;
  timeZone: string;
  className?: string;
}) {
  const look = LOOK[status] ?? LOOK.offline;
  // A user who was never seen has no meaningful "since"; say only the status then.
  const when = Number.isNaN(Date.parse(since)) ? null : formatWhenRelative(since, today, timeZone);
  const description = when ? `${look.label} since ${when} (${timeZone})` : look.label;
  return (
    <span
      data-status={status}
      title={description}
      className={`inline-flex max-w-full items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${look.pill} ${className}`}
    >
      <span aria-hidden="true" className="relative flex size-2 shrink-0">
        {look.halo && (
          <span className={`absolute inline-flex size-full rounded-full motion-safe:animate-ping ${look.halo}`} />
        )}
        <span className={`relative inline-flex size-2 rounded-full ${look.dot}`} />
      </span>
      <span>{look.label}</span>
      {when && (
        <span className="truncate font-normal opacity-85">
          since <time dateTime={since}>{when}</time>
          <span className="sr-only"> ({timeZone})</span>
        </span>
      )}
    </span>
  );
}
