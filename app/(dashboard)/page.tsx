import type { Metadata } from "next";
import { Suspense } from "react";
import { loadOrExplain } from "../_components/load-view";
import { DashboardSkeleton } from "../_components/ui";
import { loadDashboardPage, pathWithSearch, realHourBlockMinutes, type PageSearch } from "../_data/dashboard";
import { requirePageSession, type PageSession } from "../_data/session";
import { TodayDashboard } from "./today-dashboard";
import type { TodayView } from "@/lib/reports/dashboard";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Today" };

const DENIED: Record<string, string> = {
  admin: "Only admins can open the admin pages. Ask an admin if you need an account or a token changed.",
  fleet: "Only admins and supervisors can open the fleet page.",
};

type Search = Promise<Record<string, string | string[] | undefined>>;

async function Today({ session, search }: { session: PageSession; search: PageSearch }) {
  const result = await loadOrExplain(() => loadDashboardPage(session, "today", search), {
    href: "/status",
    linkText: "Check the server",
  });
  if ("panel" in result) return result.panel;
  return <TodayDashboard initial={result.data as TodayView} blockMinutes={realHourBlockMinutes()} />;
}

export default async function TodayPage({ searchParams }: { searchParams: Search }) {
  const { denied: asked, ...search } = await searchParams;
  const session = await requirePageSession(pathWithSearch("/", search));
  const denied = typeof asked === "string" && Object.hasOwn(DENIED, asked) ? DENIED[asked] : null;
  return (
    <>
      {denied ? (
        <p
          role="alert"
          className="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200"
        >
          {denied}
        </p>
      ) : null}
      <Suspense fallback={<DashboardSkeleton cards={5} />}>
        <Today session={session} search={search} />
      </Suspense>
    </>
  );
}
