"use client";

import { useState } from "react";
import { THEME_COOKIE, THEMES, type Theme } from "./theme";

const LABELS: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };

const ICONS: Record<Theme, React.ReactNode> = {
  system: <path d="M3 5h14v9H3zM7 17h6" />,
  light: (
    <path d="M10 3v1.5M10 15.5V17M3 10h1.5M15.5 10H17M5.05 5.05l1.06 1.06M13.89 13.89l1.06 1.06M5.05 14.95l1.06-1.06M13.89 6.11l1.06-1.06M13 10a3 3 0 1 1-6 0 3 3 0 0 1 6 0z" />
  ),
  dark: <path d="M16 12.5A6.5 6.5 0 0 1 7.5 4a6.5 6.5 0 1 0 8.5 8.5z" />,
};

function applyTheme(theme: Theme) {
  document.cookie = `${THEME_COOKIE}=${theme}; path=/; max-age=31536000; samesite=lax`;
  const root = document.documentElement;
  root.classList.remove("light", "dark");
  if (theme !== "system") root.classList.add(theme);
}

/** System, light or dark: kept in a cookie for a year so the server renders the same next time. */
export function ThemeToggle({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState<Theme>(initial);
  const choose = (next: Theme) => {
    setTheme(next);
    applyTheme(next);
  };
  return (
    <fieldset className="flex items-center rounded-lg border border-slate-300 p-0.5 dark:border-slate-700">
      <legend className="sr-only">Theme</legend>
      {THEMES.map((option) => (
        <label
          key={option}
          title={`${LABELS[option]} theme`}
          className={`flex cursor-pointer items-center rounded-md p-1.5 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-sky-500/50 ${
            theme === option
              ? "bg-slate-200 text-slate-900 dark:bg-slate-700 dark:text-slate-100"
              : "text-slate-500 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100"
          }`}
        >
          <input
            type="radio"
            name="theme"
            value={option}
            checked={theme === option}
            onChange={() => choose(option)}
            className="sr-only"
          />
          <svg
            viewBox="0 0 20 20"
            className="h-4 w-4"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
            strokeLinecap="round"
            strokeLinejoin="round"
            aria-hidden="true"
          >
            {ICONS[option]}
          </svg>
          <span className="sr-only">{LABELS[option]} theme</span>
        </label>
      ))}
    </fieldset>
  );
}
