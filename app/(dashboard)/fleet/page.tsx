import type { Metadata } from "next";
import { Suspense } from "react";
import { DashboardSkeleton } from "../../_components/ui";
import { loadFleetPage, requireFleetPage } from "../../_data/fleet";
import type { PageSession } from "../../_data/session";
import { FleetDashboard } from "./fleet-dashboard";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Fleet" };

async function Fleet({ session }: { session: PageSession }) {
  // Only admins make tokens, so only they get the form that adds agents.
  const csrf = session.account.role === "admin" ? session.csrfToken : null;
  return <FleetDashboard initial={await loadFleetPage(session)} agentsCsrf={csrf} />;
}

export default async function FleetPage() {
  const session = await requireFleetPage("/fleet");
  return (
    <Suspense fallback={<DashboardSkeleton cards={5} />}>
      <Fleet session={session} />
    </Suspense>
  );
}
