"use client";

import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";

const LINKS = [
  { href: "/", label: "Today" },
  { href: "/reports/day", label: "Day" },
  { href: "/reports/week", label: "Week" },
  { href: "/reports/month", label: "Month" },
  { href: "/status", label: "Server" },
] as const;

/** The dashboard's sections; moving between day, week and month keeps the date and filters in view. */
export function NavLinks({ role }: { role: string }) {
  const pathname = usePathname();
  const search = useSearchParams();
  const carried = new URLSearchParams();
  for (const key of ["date", "q", "team"]) {
    const value = search.get(key);
    if (value) carried.set(key, value);
  }
  const links = [
    ...LINKS,
    ...(role === "admin" || role === "supervisor" ? [{ href: "/fleet", label: "Fleet" } as const] : []),
    ...(role === "supervisor" ? [{ href: "/admin/leave", label: "Leave" } as const] : []),
    ...(role === "admin" ? [{ href: "/admin", label: "Admin" } as const] : []),
  ];
  return (
    <nav aria-label="Dashboard" className="-mb-px flex gap-1 overflow-x-auto">
      {links.map((link) => {
        const active = link.href === "/" ? pathname === "/" : pathname.startsWith(link.href);
        const href = link.href.startsWith("/reports/") && carried.size ? `${link.href}?${carried}` : link.href;
        return (
          <Link
            key={link.href}
            href={href}
            aria-current={active ? "page" : undefined}
            className={`border-b-2 px-3 py-2.5 text-sm font-medium whitespace-nowrap focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none ${
              active
                ? "border-sky-600 text-sky-700 dark:border-sky-400 dark:text-sky-300"
                : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900 dark:text-slate-400 dark:hover:border-slate-600 dark:hover:text-slate-100"
            }`}
          >
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}
