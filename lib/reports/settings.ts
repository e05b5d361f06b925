import type { Rules } from "../config.ts";

/** The rules the read API depends on (the configuration's `rules`). */
export type ReportSettings = Pick<Rules, "timeZone" | "weekStartsOn" | "gapMs">;
