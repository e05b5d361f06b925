// Under a plain `next start` (no server.ts) this is where the process gets ready: the
// configuration is checked and the database migrated before the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { captureProcessOutput } = await import("./lib/log");
  // Under a plain `next start`, Next's own banner is out before this; every line after is JSON.
  captureProcessOutput();
  const { prepareServer } = await import("./lib/server/startup");
  await prepareServer();
  const { knowsClientAddresses } = await import("./lib/auth/request");
  if (!knowsClientAddresses()) {
    const { log } = await import("./lib/log");
    log.warn(
      "client addresses are unknown without server.ts or TRUSTED_PROXIES: every client shares one per-address sign-in limit",
    );
  }
}
