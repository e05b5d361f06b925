import type { Config } from "../config.ts";

/** The configuration the read API depends on. */
export type ReportSettings = {
  /** IANA zone that defines a local date. */
  timeZone: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekStartsOn: number;
  /** Silence after which a user counts as offline; 0 means never. */
  gapMs: number;
};

export function reportSettingsFrom(config: Config): ReportSettings {
  return {
    timeZone: config.reportTimezone,
    weekStartsOn: config.weekStartsOn,
    gapMs: config.heartbeatTimeoutMinutes * 60_000,
  };
}
