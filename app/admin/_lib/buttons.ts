// The admin pages' buttons, apart so that client components take them without the page shell.
export const primaryButton =
  "rounded-lg bg-sky-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500/50";
export const secondaryButton =
  "rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-sky-500/50 dark:border-slate-700 dark:hover:bg-slate-800";
export const dangerButton =
  "rounded-lg border border-rose-300 px-3 py-1.5 text-sm font-medium text-rose-700 hover:bg-rose-50 focus:outline-none focus:ring-2 focus:ring-rose-500/50 dark:border-rose-900 dark:text-rose-300 dark:hover:bg-rose-950";
