import Link from "next/link";

export default function NotFound() {
  return (
    <main id="main" tabIndex={-1} className="flex min-h-screen items-center justify-center px-6 focus:outline-none">
      <div className="text-center">
        <p className="text-sm font-semibold text-sky-700 dark:text-sky-300">404</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight">There is no page at this address</h1>
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">The link may be mistyped or out of date.</p>
        <Link
          href="/"
          className="mt-6 inline-block rounded-lg bg-sky-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none"
        >
          Go to today&apos;s overview
        </Link>
      </div>
    </main>
  );
}
