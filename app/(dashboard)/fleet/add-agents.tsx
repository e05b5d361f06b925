"use client";

import { useState, type FormEvent } from "react";
import { buttonSecondary, panel } from "../../_components/ui";

const input =
  "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-950";
const primary =
  "rounded-lg bg-sky-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500/50 disabled:opacity-60";

const ENDPOINT = "/api/devices/agents";

type Made = { filename: string; token: string; server: string };

/** The file name of an `attachment; filename="..."` answer. */
const filenameOf = (disposition: string | null) =>
  /filename="([^"]+)"/.exec(disposition ?? "")?.[1] ?? "work-tracing-agent.zip";

/** Hands the browser the zip the post answered with, as a download. */
function saveDownload(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Admins only: a new ingest token and the agent's zip with config.env filled in, downloaded
 * once from the answer that made the token. Without JavaScript the form posts to the same
 * address, whose answer is the download.
 */
export function AddAgents({ csrf }: { csrf: string }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<Made | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setError(null);
    try {
      const body = new URLSearchParams();
      for (const [key, value] of new FormData(form)) body.append(key, String(value));
      const res = await fetch(ENDPOINT, { method: "POST", body, credentials: "same-origin" });
      if (!res.ok) {
        const reply = await res.json().catch(() => null);
        setError(reply?.error?.message ?? `The server answered ${res.status}; try again shortly.`);
        return;
      }
      const filename = filenameOf(res.headers.get("content-disposition"));
      saveDownload(await res.blob(), filename);
      setMade({
        filename,
        token: res.headers.get("x-agent-token") ?? "",
        server: res.headers.get("x-agent-server") ?? "",
      });
      form.reset();
    } catch {
      setError("The server could not be reached; try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="add-agents-title" className="mb-6">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="add-agents-title" className="sr-only">
          Add agents
        </h2>
        <button
          type="button"
          className={buttonSecondary}
          aria-expanded={open}
          aria-controls="add-agents-panel"
          onClick={() => setOpen(!open)}
        >
          Add agents
        </button>
      </div>
      {made ? (
        <div role="status" className={`${panel} mt-3 p-4 text-sm`} data-testid="agents-made">
          <p className="font-medium">
            Downloaded <span className="font-mono">{made.filename}</span>: the agent with config.env set to send to{" "}
            <span className="font-mono">{made.server}</span>.
          </p>
          <p className="mt-2">
            Its ingest token, shown only now (it is also in config.env; the server keeps only its hash):
          </p>
          <p className="mt-1 font-mono text-xs break-all select-all" data-testid="agents-token">
            {made.token}
          </p>
          <p className="mt-2 text-slate-600 dark:text-slate-400">
            Install it with the lines in INSTALL.txt (one PC, Group Policy or Intune). New devices appear in the list
            below as they report.
          </p>
        </div>
      ) : null}
      {open ? (
        <form
          id="add-agents-panel"
          action={ENDPOINT}
          method="post"
          onSubmit={submit}
          aria-label="Add agents"
          className={`${panel} mt-3 grid gap-4 p-4 sm:grid-cols-[1fr_1fr_auto] sm:items-end`}
        >
          <input type="hidden" name="csrf" value={csrf} />
          <label className="block text-sm font-medium">
            Name{" "}
            <span className="font-normal text-slate-500 dark:text-slate-400">(this rollout: a site, a department)</span>
            <input name="name" required maxLength={100} autoComplete="off" className={input} />
          </label>
          <label className="block text-sm font-medium">
            Server address{" "}
            <span className="font-normal text-slate-500 dark:text-slate-400">
              (as the PCs reach it; blank: this one)
            </span>
            <input
              name="server_url"
              type="url"
              maxLength={500}
              autoComplete="off"
              placeholder="https://tracker.example.com"
              className={input}
            />
          </label>
          <button type="submit" className={primary} disabled={busy}>
            {busy ? "Making…" : "Create token and download"}
          </button>
          {error ? (
            <p role="alert" className="text-sm text-rose-700 sm:col-span-3 dark:text-rose-300">
              {error}
            </p>
          ) : null}
          <p className="text-xs text-slate-500 sm:col-span-3 dark:text-slate-400">
            Makes a new ingest token named after the rollout and downloads, once, a zip of the agent with config.env
            filled in (this server&apos;s address and the token) and INSTALL.txt. Revoke the token on the Tokens page if
            the zip is lost.
          </p>
        </form>
      ) : null}
    </section>
  );
}
