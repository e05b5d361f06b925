import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// The longest files, mostly waiting on an agent's fake day, nginx or a browser: started first, so
// that no worker is left with one of them at the end while the other idles. A fresh clone has no
// timings for vitest to order by, and these files are short to read.
const LONGEST_FIRST = [
  /tests\/server\/agent-e2e-/,
  /tests\/server\/fleet\./,
  /tests\/browser\//,
  /tests\/server\/(big-day-engine|auth-scripts|backup|crash|fuzz|deploy-modes|process-real-hours|outage)\./,
];
const rank = (spec: TestSpecification) => {
  const found = LONGEST_FIRST.findIndex((pattern) => pattern.test(spec.moduleId));
  return found < 0 ? LONGEST_FIRST.length : found;
};

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
    // One file at a time unless TEST_WORKERS says more: with two workers on 2 cores the browser
    // tests' waits ran out now and then (three different ones in three runs).
    maxWorkers: Number(process.env.TEST_WORKERS) || 1,
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
