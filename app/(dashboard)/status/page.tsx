import type { Metadata } from "next";
import { Suspense } from "react";
import { headers } from "next/headers";
import { requirePageSession } from "../../_data/session";
import { loadServerStatus } from "../../_data/status";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Server" };

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex justify-between gap-6 border-b border-slate-200 py-2 last:border-0 dark:border-slate-800">
      <dt className="text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-right font-medium">{children}</dd>
    </div>
  );
}

async function StatusCard() {
  const { health, timezone, blockMinutes, heartbeatTimeoutMinutes, schedule } = await loadServerStatus();
  const up = health.database.status === "up";
  return (
    <dl className="rounded-xl border border-slate-200 bg-white p-5 text-sm shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <Row label="Server">
        <span className={up ? "text-emerald-700 dark:text-emerald-400" : "text-rose-700 dark:text-rose-400"}>
          {health.status === "ok"
            ? "Running"
            : health.status === "degraded"
              ? "Migrations pending"
              : "Database unavailable"}
        </span>
      </Row>
      <Row label="Database">
        {health.database.provider === "sqlite" ? "SQLite" : "PostgreSQL"}
        {health.database.latency_ms !== null ? ` · ${health.database.latency_ms} ms` : ""}
      </Row>
      <Row label="Schema">
        {health.database.migrations.status === "current"
          ? `current (${health.database.migrations.applied} migrations)`
          : health.database.migrations.status}
      </Row>
      <Row label="Report time zone">{timezone}</Row>
      <Row label="Real Work Hour">{blockMinutes} continuous minutes</Row>
      <Row label="Heartbeat timeout">
        {heartbeatTimeoutMinutes === 0 ? "never" : `${heartbeatTimeoutMinutes} minutes`}
      </Row>
      <Row label="Hours engine schedule">{schedule ?? "off"}</Row>
      <Row label="Version">{health.version}</Row>
    </dl>
  );
}

function StatusSkeleton() {
  return (
    <div className="h-72 animate-pulse rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900" />
  );
}

export default async function StatusPage() {
  await requirePageSession("/status");
  const host = (await headers()).get("host") ?? "your-server:5050";
  const endpoint = `http://${host}/api/report`;
  return (
    <div className="mx-auto max-w-3xl">
      <header className="mb-8">
        <h1 className="text-2xl font-semibold tracking-tight">Server</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">
          This server receives activity from the Windows agents and turns it into working time and Real Work Hours.
        </p>
      </header>
      <section aria-labelledby="status" className="mb-10">
        <h2
          id="status"
          className="mb-3 text-sm font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400"
        >
          Status
        </h2>
        <Suspense fallback={<StatusSkeleton />}>
          <StatusCard />
        </Suspense>
      </section>
      <section aria-labelledby="connect">
        <h2
          id="connect"
          className="mb-3 text-sm font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400"
        >
          Connect an agent
        </h2>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          Set <code className="font-mono">API_ENDPOINT</code> in the agent&apos;s{" "}
          <code className="font-mono">config.env</code> to:
        </p>
        <pre className="overflow-x-auto rounded-lg bg-slate-900 p-4 font-mono text-sm text-slate-100">{endpoint}</pre>
        <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">
          Agents send an ingest token as <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>; create
          one with <code className="font-mono">npm run token:create -- --scope ingest --name NAME</code>.
        </p>
        <p className="mt-4 text-sm text-slate-600 dark:text-slate-400">Or send a test event yourself:</p>
        <pre className="mt-2 overflow-x-auto rounded-lg bg-slate-900 p-4 font-mono text-xs text-slate-100">
          {`curl -X POST -H "Content-Type: application/json" \\\n  -H "Authorization: Bearer <token>" \\\n  -d '{"user":"testuser","state":"working"}' \\\n  ${endpoint}`}
        </pre>
      </section>
    </div>
  );
}
