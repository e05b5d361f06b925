import "server-only";
import { getConfig } from "@/lib/config";
import { getHealth } from "@/lib/server/health";

/** What the start page shows: the server's own state and the settings agents need. */
export async function loadServerStatus() {
  const config = getConfig();
  const health = await getHealth();
  return {
    health,
    timezone: config.reportTimezone,
    blockMinutes: config.realHourBlockMinutes,
    heartbeatTimeoutMinutes: config.heartbeatTimeoutMinutes,
    schedule: config.processCron,
  };
}
