"use client";

import { useState } from "react";
import useSWR from "swr";

/** How often pages that show the present ask for it again. */
const LIVE_REFRESH_MS = 60_000;

export class ViewError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function fetchView<T>(url: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  } catch {
    throw new ViewError(0, "The server cannot be reached");
  }
  const body = (await response.json().catch(() => null)) as {
    success?: boolean;
    data?: T;
    error?: { message?: string };
  } | null;
  if (!response.ok || !body?.success)
    throw new ViewError(response.status, body?.error?.message ?? `The server answered ${response.status}`);
  return body.data as T;
}

/**
 * A page's data, first as the server rendered it, then, while `live`, fetched again every
 * minute and when the tab comes back into view. Whichever copy is newer is shown, so a page
 * never goes back to data older than what it was rendered with. A new `url` (another page of
 * the table, another filter) is fetched at once; the rows shown stay until it answers
 * (`loading`).
 */
export function useLiveView<T extends { generated_at: string }>(url: string, initial: T, live: boolean) {
  const [firstUrl] = useState(url);
  const [movedAway, setMovedAway] = useState(false);
  if (url !== firstUrl && !movedAway) setMovedAway(true);
  const first = url === firstUrl;
  const { data, error, isValidating, isLoading, mutate } = useSWR<T, ViewError>(url, fetchView, {
    // The server's copy answers the first URL only; back on it, it shows while a fresh one comes.
    fallbackData: first ? initial : undefined,
    keepPreviousData: !first,
    refreshInterval: live ? LIVE_REFRESH_MS : 0,
    revalidateOnMount: false,
    revalidateIfStale: movedAway,
    revalidateOnFocus: live,
    revalidateOnReconnect: live,
    dedupingInterval: 2_000,
  });
  const view = data && Date.parse(data.generated_at) >= Date.parse(initial.generated_at) ? data : initial;
  return { view, error, refreshing: isValidating, loading: isLoading, refresh: () => void mutate() };
}
