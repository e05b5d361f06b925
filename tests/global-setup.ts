import type { TestProject } from "vitest/node";
import { ensurePostgres } from "./helpers/postgres";
import { ensureBuild } from "./helpers/build";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const postgres = await ensurePostgres();
  project.provide("postgresUrl", postgres.url);
  ensureBuild();
  return () => postgres.stop();
}
