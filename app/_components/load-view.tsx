import { AppError } from "@/lib/errors";
import { ErrorPanel } from "./ui";

/**
 * Runs a page's data load; a request the page cannot answer (a bad date, an unknown employee)
 * becomes a panel that says why and where to go, anything else goes to the error boundary.
 */
export async function loadOrExplain<T>(
  load: () => Promise<T>,
  fallback: { href: string; linkText: string },
): Promise<{ data: T } | { panel: React.ReactNode }> {
  try {
    return { data: await load() };
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    const title = error.status === 404 ? "Not found" : "This page cannot be shown";
    const message = `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}${error.message.endsWith(".") ? "" : "."}`;
    return { panel: <ErrorPanel title={title} message={message} {...fallback} /> };
  }
}
