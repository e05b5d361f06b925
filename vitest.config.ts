import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// The longest files: started first, so that no worker is left with one of them at the end while
// the other idles. A fresh clone has no timings for vitest to order by.
const LONGEST_FIRST = [
  /tests\/server\/agent-e2e-/,
  /tests\/server\/fleet\./,
  /tests\/server\/(big-day-engine|auth-scripts|backup|crash|fuzz|deploy-modes|process-real-hours|outage)\./,
];
const rank = (spec: TestSpecification) => {
  const found = LONGEST_FIRST.findIndex((pattern) => pattern.test(spec.moduleId));
  return found < 0 ? LONGEST_FIRST.length : found;
};

const WORKERS = Number(process.env.TEST_WORKERS) || 2;

class LongestFirst extends BaseSequencer {
  async sort(files: TestSpecification[]) {
    return (await super.sort(files))
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    environment: "node",
    env: { LOG_LEVEL: "silent" },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    sequence: { sequencer: LongestFirst },
    // Two files at a time on the build machine's two cores (TEST_WORKERS to change it); the
    // browser files run afterwards, one at a time: their waits ran out now and then beside others.
    maxWorkers: WORKERS,
    // Each project names its own files: `extends` would concatenate an `include` set here.
    projects: [
      {
        extends: true,
        test: {
          name: "app",
          include: ["tests/**/*.test.{ts,tsx}"],
          exclude: [...configDefaults.exclude, "tests/components/**", "tests/browser/**"],
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
      {
        extends: true,
        test: {
          name: "browser",
          include: ["tests/browser/**/*.test.ts"],
          globalSetup: ["tests/global-setup.ts"],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
