"use client";

import { useSearchParams } from "next/navigation";
import type { FleetDevice, FleetView } from "@/lib/devices/fleet";
import { formatWhenRelative } from "../../_components/format";
import type { SortDirection } from "../../_components/rows";
import { LiveStatus } from "../../_components/live-status";
import { StatusBadge } from "../../_components/status-badge";
import { useLiveView } from "../../_components/use-live-view";
import { bodyRow, cell, headRow, numCell, SortHeader, TableFrame } from "../../_components/table-controls";
import { buttonSecondary, EmptyState, PageHeading, StatCard } from "../../_components/ui";
import { AddAgents } from "./add-agents";

/** Days of silence after which a device is flagged, unless the page's control says otherwise. */
const DEFAULT_SILENT_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;
const STATUS_ORDER = { working: 0, idle: 1, offline: 2 } as const;

type SortKey = "device" | "users" | "agent" | "status" | "last" | "today" | "token";
const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "device", label: "Device" },
  { key: "users", label: "Users" },
  { key: "agent", label: "Agent" },
  { key: "status", label: "Status" },
  { key: "last", label: "Last event", numeric: true },
  { key: "today", label: "Events today", numeric: true },
  { key: "token", label: "Token" },
];

const SORT_VALUES: Record<SortKey, (d: FleetDevice) => string | number> = {
  device: (d) => d.device || "\uffff",
  users: (d) => d.users.join(", "),
  agent: (d) => d.agent ?? "",
  status: (d) => STATUS_ORDER[d.status],
  last: (d) => Date.parse(d.last_event),
  today: (d) => d.events_today,
  token: (d) => d.token?.name ?? "\uffff",
};

const control =
  "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900";
const flag = "ml-1.5 inline-block rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset";
const warnFlag = `${flag} bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300`;
const dangerFlag = `${flag} bg-rose-50 text-rose-800 ring-rose-600/20 dark:bg-rose-400/10 dark:text-rose-300`;

/** The view's filter, order and silence threshold, kept in the address so a link shares them. */
function useFleetParams() {
  const search = useSearchParams();
  const sort = (COLUMNS.some((c) => c.key === search.get("sort")) ? search.get("sort") : "device") as SortKey;
  const dir: SortDirection = search.get("dir") === "desc" ? "desc" : "asc";
  const days = Number(search.get("silent"));
  const silentDays = Number.isInteger(days) && days >= 1 && days <= 365 ? days : DEFAULT_SILENT_DAYS;
  const params = { q: search.get("q") ?? "", sort, dir, silentDays, flagged: search.get("flagged") === "1" };
  const update = (patch: Record<string, string>) => {
    const next = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(patch)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const query = next.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
  };
  return [params, update] as const;
}

const matches = (d: FleetDevice, needle: string) =>
  !needle ||
  [d.device, ...d.users, d.agent ?? "", d.token?.name ?? ""].some((text) => text.toLocaleLowerCase().includes(needle));

/** Every device the reader may see: who uses it, its agent, status, last event and token; kept current every minute. */
export function FleetDashboard({ initial, agentsCsrf = null }: { initial: FleetView; agentsCsrf?: string | null }) {
  const { view, error, refreshing, refresh } = useLiveView("/api/dashboard/fleet", initial, true);
  const [params, update] = useFleetParams();
  const { devices, timezone, today } = view;
  const now = Date.parse(view.generated_at);
  const isSilent = (d: FleetDevice) => now - Date.parse(d.last_event) > params.silentDays * DAY_MS;
  const needle = params.q.trim().toLocaleLowerCase();
  const sign = params.dir === "asc" ? 1 : -1;
  const valueOf = SORT_VALUES[params.sort];
  const shown = devices
    .filter((d) => matches(d, needle) && (!params.flagged || d.agent_outdated || isSilent(d)))
    .sort((a, b) => {
      const x = valueOf(a);
      const y = valueOf(b);
      const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return order * sign || a.device.localeCompare(b.device) || a.users.join().localeCompare(b.users.join());
    });
  const count = (test: (d: FleetDevice) => boolean) => devices.filter(test).length;

  return (
    <>
      <PageHeading
        title="Fleet"
        subtitle={`Every device an agent reports from · newest agent ${view.newest_agent ?? "unknown"} · times in ${timezone}`}
      >
        <div className="flex flex-col items-start gap-3 lg:items-end">
          <LiveStatus
            generatedAt={view.generated_at}
            timeZone={timezone}
            live
            refreshing={refreshing}
            error={error}
            onRefresh={refresh}
          />
          <div className="flex gap-2">
            <a href="/api/devices/export.csv" download className={buttonSecondary}>
              Export CSV
            </a>
            <a href="/api/devices/export.xlsx" download className={buttonSecondary}>
              Export XLSX
            </a>
          </div>
        </div>
      </PageHeading>
      {agentsCsrf ? <AddAgents csrf={agentsCsrf} /> : null}
      {devices.length === 0 ? (
        <EmptyState title="No device has reported yet">
          {agentsCsrf ? "Add agents above: devices appear here as they report." : null}
        </EmptyState>
      ) : (
        <>
          <div className="mb-6 grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
            <StatCard label="Devices" value={devices.length} testId="stat-devices" />
            <StatCard
              label="Working now"
              value={count((d) => d.status === "working")}
              tone="emerald"
              testId="stat-working"
            />
            <StatCard label="Idle" value={count((d) => d.status === "idle")} tone="amber" testId="stat-idle" />
            <StatCard
              label="Older agent"
              value={count((d) => d.agent_outdated)}
              detail={`behind ${view.newest_agent ?? "—"}`}
              tone="amber"
              testId="stat-outdated"
            />
            <StatCard
              label="Silent"
              value={count(isSilent)}
              detail={`nothing for more than ${params.silentDays} days`}
              testId="stat-silent"
            />
          </div>
          <div role="search" className="mb-3 flex flex-wrap items-center gap-3">
            <label>
              <span className="sr-only">Filter devices</span>
              <input
                type="search"
                defaultValue={params.q}
                onChange={(event) => update({ q: event.target.value })}
                placeholder="Filter by device, user, agent or token"
                className={`${control} w-72`}
              />
            </label>
            <label className="flex items-center gap-2 text-sm">
              Silent after
              <input
                type="number"
                min={1}
                max={365}
                defaultValue={params.silentDays}
                onChange={(event) =>
                  update({ silent: event.target.value === String(DEFAULT_SILENT_DAYS) ? "" : event.target.value })
                }
                className={`${control} w-20`}
              />
              days
            </label>
            <label className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                defaultChecked={params.flagged}
                onChange={(event) => update({ flagged: event.target.checked ? "1" : "" })}
              />
              Only flagged devices
            </label>
            <span className="text-sm text-slate-500 dark:text-slate-400" aria-live="polite">
              {shown.length === devices.length
                ? `${devices.length} devices`
                : `${shown.length} of ${devices.length} devices`}
            </span>
          </div>
          {shown.length === 0 ? (
            <EmptyState
              title="No device matches these filters"
              action={
                <button type="button" className={buttonSecondary} onClick={() => update({ q: "", flagged: "" })}>
                  Clear filters
                </button>
              }
            />
          ) : (
            <TableFrame caption={`Devices, by ${COLUMNS.find((c) => c.key === params.sort)?.label}`}>
              <thead>
                <tr className={headRow}>
                  {COLUMNS.map((column) => (
                    <SortHeader
                      key={column.key}
                      column={column}
                      params={params}
                      onChange={({ sort, dir }) =>
                        update({ sort: sort === "device" ? "" : sort, dir: dir === "asc" ? "" : dir })
                      }
                    />
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.map((d) => (
                  <tr key={`${d.device}\u0000${d.users.join()}`} className={bodyRow} data-device={d.device}>
                    <th scope="row" className={`${cell} text-left font-medium`}>
                      {d.device || (
                        <span className="font-normal text-slate-500 italic dark:text-slate-400">
                          unnamed (original agent)
                        </span>
                      )}
                    </th>
                    <td className={cell}>{d.users.join(", ")}</td>
                    <td className={`${cell} whitespace-nowrap`} data-col="agent">
                      {d.agent ?? <span className="text-slate-500 dark:text-slate-400">none</span>}
                      {d.agent_outdated ? <span className={warnFlag}>older than {view.newest_agent}</span> : null}
                    </td>
                    <td className={cell}>
                      <StatusBadge status={d.status} since={d.since} today={today} timeZone={timezone} />
                    </td>
                    <td className={`${numCell} whitespace-nowrap`} data-col="last_event">
                      <time dateTime={d.last_event}>{formatWhenRelative(d.last_event, today, timezone)}</time>
                      {isSilent(d) ? <span className={dangerFlag}>silent</span> : null}
                    </td>
                    <td className={numCell} data-col="events_today">
                      {d.events_today}
                    </td>
                    <td className={cell} data-col="token">
                      {d.token ? (
                        <>
                          {d.token.name}{" "}
                          <span className="font-mono text-xs text-slate-500 dark:text-slate-400">
                            {d.token.prefix}…
                          </span>
                          {d.token.revoked ? <span className={dangerFlag}>revoked</span> : null}
                        </>
                      ) : (
                        <span className="text-slate-500 dark:text-slate-400">not recorded</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          )}
          <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
            A device&apos;s status combines its users&apos; sessions: working if any is, else idle, else offline. An
            agent is flagged when it is older than the newest version any device runs; a device, when nothing has come
            from it for more than the chosen number of days. The token is the one its latest request came with.
          </p>
        </>
      )}
    </>
  );
}
