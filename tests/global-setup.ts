import type { TestProject } from "vitest/node";
import { ensurePostgres, type PostgresForTests } from "./helpers/postgres";
import { ensureBuild } from "./helpers/build";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// The app and browser projects each run this: one PostgreSQL serves both.
const shared = globalThis as { workTracingTestSetup?: { postgres: Promise<PostgresForTests>; users: number } };

export default async function setup(project: TestProject) {
  const state = (shared.workTracingTestSetup ??= { postgres: ensurePostgres(), users: 0 });
  state.users++;
  const postgres = await state.postgres;
  project.provide("postgresUrl", postgres.url);
  ensureBuild();
  return async () => {
    if (--state.users > 0) return;
    delete shared.workTracingTestSetup;
    await postgres.stop();
  };
}
