import { SiteHeader } from "../_components/site-header";
import { readPageSession } from "../_data/session";

// Each page checks the session itself (and sends a stranger to sign in); the frame only shows it.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const session = await readPageSession();
  return (
    <>
      {session ? (
        <SiteHeader username={session.account.username} role={session.account.role} csrfToken={session.csrfToken} />
      ) : null}
      <main id="main" tabIndex={-1} className="mx-auto max-w-7xl px-4 py-6 focus:outline-none sm:px-6 sm:py-8">
        {children}
      </main>
    </>
  );
}
