import os from "node:os";
import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    environment: "node",
    env: { LOG_LEVEL: "silent" },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Most test time is spent waiting on servers, browsers and the agent's fake day, not on this
    // process: a worker per core (vitest's default leaves one idle; on 2 cores that is one file at a time).
    maxWorkers: Math.max(2, os.availableParallelism()),
    // Each project names its own files: `extends` would concatenate an `include` set here.
    projects: [
      {
        extends: true,
        test: {
          name: "app",
          include: ["tests/**/*.test.{ts,tsx}"],
          exclude: [...configDefaults.exclude, "tests/components/**"],
          globalSetup: ["tests/global-setup.ts"],
        },
      },
      // Component tests render in jsdom and need neither PostgreSQL nor a build, so they get no globalSetup.
      {
        extends: true,
        test: {
          name: "components",
          include: ["tests/components/**/*.test.tsx"],
          environment: "jsdom",
          setupFiles: ["tests/components/setup.ts"],
        },
      },
    ],
  },
});
