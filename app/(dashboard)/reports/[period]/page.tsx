import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import type { PeriodView } from "@/lib/reports/dashboard";
import { PERIODS, type Period } from "@/lib/reports/schemas";
import { loadOrExplain } from "../../../_components/load-view";
import { DashboardSkeleton } from "../../../_components/ui";
import { loadDashboardPage, pathWithSearch, type PageSearch } from "../../../_data/dashboard";
import { requirePageSession, type PageSession } from "../../../_data/session";
import { PeriodDashboard } from "./period-dashboard";

export const dynamic = "force-dynamic";

type Params = Promise<{ period: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

const isPeriod = (value: string): value is Period => (PERIODS as readonly string[]).includes(value);
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { period } = await params;
  return { title: isPeriod(period) ? `${period[0].toUpperCase()}${period.slice(1)} report` : "Not found" };
}

async function Report({ session, period, search }: { session: PageSession; period: Period; search: PageSearch }) {
  const result = await loadOrExplain(() => loadDashboardPage(session, period, search), {
    href: `/reports/${period}`,
    linkText: `Go to the current ${period}`,
  });
  if ("panel" in result) return result.panel;
  return <PeriodDashboard initial={result.data as PeriodView} />;
}

export default async function ReportPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { period } = await params;
  if (!isPeriod(period)) notFound();
  const search = await searchParams;
  const date = one(search.date);
  const session = await requirePageSession(pathWithSearch(`/reports/${period}`, search));
  return (
    <Suspense key={`${period}-${date}`} fallback={<DashboardSkeleton heatmap={period !== "day"} />}>
      <Report session={session} period={period} search={search} />
    </Suspense>
  );
}
