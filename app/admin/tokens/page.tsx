import type { Metadata } from "next";
import Link from "next/link";
import { loadTokenDevices, loadTokens, reportTimeZone, requireAdminPage } from "@/app/_data/admin";
import type { TokenDevice } from "@/lib/devices/fleet";
import { ConfirmSubmit } from "../_lib/confirm-submit";
import { ActionForm, AdminShell, card, Empty, formatWhen, inputClass, primaryButton, sectionTitle } from "../_lib/ui";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Tokens · Admin" };

const ACTION = "/admin/tokens/actions";

/** The confirm step's list of the devices a revocation silences. */
function SilencedDevices({ devices }: { devices: TokenDevice[] }) {
  if (!devices.length) return <>No device has sent with it.</>;
  return (
    <>
      {devices.length === 1 ? "This device falls silent" : `These ${devices.length} devices fall silent`} until given
      another token:
      <ul className="mt-1 list-disc pl-5" aria-label="Devices that fall silent">
        {devices.map((device) => (
          <li key={`${device.device}\u0000${device.users.join()}`}>
            <span className="font-medium">{device.device || "unnamed device"}</span> ({device.users.join(", ")})
          </li>
        ))}
      </ul>
    </>
  );
}

export default async function TokensPage() {
  const page = await requireAdminPage("/admin/tokens");
  const [tokens, devicesByToken] = await Promise.all([loadTokens(), loadTokenDevices()]);
  const timeZone = reportTimeZone();
  const csrf = page.csrfToken;
  return (
    <AdminShell page={page} current="/admin/tokens" title="API tokens">
      <section aria-labelledby="new-token-title" className="mb-10">
        <h2 id="new-token-title" className={sectionTitle}>
          New token
        </h2>
        <ActionForm
          action={ACTION}
          op="create"
          csrf={csrf}
          className={`${card} grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-end`}
          label="New token"
        >
          <label className="block text-sm font-medium">
            Name{" "}
            <span className="font-normal text-slate-500 dark:text-slate-400">
              (a device, a fleet or an integration)
            </span>
            <input name="name" required maxLength={100} autoComplete="off" className={`mt-1 ${inputClass}`} />
          </label>
          <label className="block text-sm font-medium">
            Scope
            <select name="scope" defaultValue="ingest" className={`mt-1 ${inputClass}`}>
              <option value="ingest">ingest (agents send events)</option>
              <option value="read">read (integrations read reports)</option>
              <option value="metrics">metrics (Prometheus reads /api/metrics)</option>
            </select>
          </label>
          <button type="submit" className={primaryButton}>
            Create token
          </button>
        </ActionForm>
        <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
          The token is shown once, right after it is made; only its hash is stored. To roll out agents, use{" "}
          <Link href="/fleet" className="font-medium text-sky-700 hover:underline dark:text-sky-300">
            Add agents on the Fleet page
          </Link>
          : it makes an ingest token and downloads the agent with it already set.
        </p>
      </section>

      <section aria-labelledby="all-tokens">
        <h2 id="all-tokens" className={sectionTitle}>
          All tokens ({tokens.length})
        </h2>
        {tokens.length === 0 ? (
          <Empty>No tokens yet. Agents need an ingest token to send events.</Empty>
        ) : (
          <div className={`${card} overflow-x-auto p-0`}>
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 text-xs tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-4 py-3">
                    Name
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Scope
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Prefix
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Created ({timeZone})
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Last used
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Devices
                  </th>
                  <th scope="col" className="px-4 py-3">
                    Status
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <tr key={token.id} className="border-b border-slate-100 last:border-0 dark:border-slate-800">
                    <th scope="row" className="px-4 py-3 font-medium">
                      {token.name}
                    </th>
                    <td className="px-4 py-3">{token.scope}</td>
                    <td className="px-4 py-3 font-mono text-xs">{token.prefix}…</td>
                    <td className="px-4 py-3 whitespace-nowrap text-slate-600 dark:text-slate-400">
                      {formatWhen(token.createdAt, timeZone)}
                      <span className="block text-xs">by {token.createdBy}</span>
                    </td>
                    <td className="px-4 py-3 whitespace-nowrap text-slate-600 dark:text-slate-400">
                      {token.lastUsedAt ? (
                        <>
                          {formatWhen(token.lastUsedAt, timeZone)}
                          <span className="block text-xs">from {token.lastUsedIp ?? "unknown address"}</span>
                        </>
                      ) : (
                        "never"
                      )}
                    </td>
                    <td className="px-4 py-3 text-slate-600 tabular-nums dark:text-slate-400" data-col="devices">
                      {devicesByToken.get(token.id)?.length ?? 0}
                    </td>
                    <td className="px-4 py-3">
                      {token.revokedAt ? (
                        <span className="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-300">
                          revoked {formatWhen(token.revokedAt, timeZone)}
                        </span>
                      ) : (
                        <ActionForm action={ACTION} op="revoke" csrf={csrf} label={`Revoke ${token.name}`}>
                          <input type="hidden" name="id" value={token.id} />
                          <ConfirmSubmit
                            ariaLabel={`Revoke ${token.name}`}
                            question={`Revoke ${token.name}? Whatever uses it is refused from now on.`}
                            details={<SilencedDevices devices={devicesByToken.get(token.id) ?? []} />}
                            confirmLabel="Yes, revoke"
                          >
                            Revoke
                          </ConfirmSubmit>
                        </ActionForm>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </AdminShell>
  );
}
