"use client";

import { useState } from "react";
import { dangerButton, secondaryButton } from "./buttons";

/**
 * A form's destructive button that asks first: the first press shows the question with the
 * real submit button and Cancel (Escape cancels too), so one stray click changes nothing.
 */
export function ConfirmSubmit({
  children,
  ariaLabel,
  question,
  confirmLabel,
  className = dangerButton,
  cancelClassName = secondaryButton,
  details,
}: {
  children: React.ReactNode;
  ariaLabel?: string;
  question: string;
  /** What the action will do, shown with the question (say, the devices that fall silent). */
  details?: React.ReactNode;
  confirmLabel: string;
  className?: string;
  cancelClassName?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        className={className}
        aria-label={ariaLabel}
        aria-haspopup="true"
        onClick={() => setAsking(true)}
      >
        {children}
      </button>
    );
  }
  return (
    <span
      role="group"
      aria-label={question}
      className="inline-flex flex-wrap items-center gap-2"
      onKeyDown={(event) => {
        if (event.key === "Escape") setAsking(false);
      }}
    >
      <span className="text-sm font-medium text-rose-700 dark:text-rose-300">{question}</span>
      {details ? <span className="basis-full text-sm text-slate-700 dark:text-slate-300">{details}</span> : null}
      {/* Focus moves to the real button so a keyboard user can confirm or tab to Cancel. */}
      <button type="submit" className={className} autoFocus>
        {confirmLabel}
      </button>
      <button type="button" className={cancelClassName} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
