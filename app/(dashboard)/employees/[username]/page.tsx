import type { Metadata } from "next";
import { Suspense } from "react";
import type { EmployeeView } from "@/lib/reports/dashboard";
import { loadOrExplain } from "../../../_components/load-view";
import { DashboardSkeleton } from "../../../_components/ui";
import { loadEmployeePage } from "../../../_data/dashboard";
import { requirePageSession, type PageSession } from "../../../_data/session";
import { EmployeeDashboard } from "./employee-dashboard";

export const dynamic = "force-dynamic";

type Params = Promise<{ username: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The segment as typed; a stray "%" that does not decode is taken literally. */
function usernameOf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: usernameOf((await params).username) };
}

async function Employee({
  session,
  username,
  date,
}: {
  session: PageSession;
  username: string;
  date: string | undefined;
}) {
  const result = await loadOrExplain(() => loadEmployeePage(session, username, date), {
    href: "/",
    linkText: "Back to today's overview",
  });
  if ("panel" in result) return result.panel;
  // Leave is entered by admins and supervisors (of their teams): a viewer is not offered the link.
  const role = session.account.role;
  return (
    <EmployeeDashboard
      initial={result.data as EmployeeView}
      canEnterLeave={role === "admin" || role === "supervisor"}
    />
  );
}

export default async function EmployeePage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const username = usernameOf((await params).username);
  const date = one((await searchParams).date);
  const session = await requirePageSession(
    `/employees/${encodeURIComponent(username)}${date ? `?date=${encodeURIComponent(date)}` : ""}`,
  );
  return (
    <Suspense key={`${username}-${date}`} fallback={<DashboardSkeleton />}>
      <Employee session={session} username={username} date={date} />
    </Suspense>
  );
}
