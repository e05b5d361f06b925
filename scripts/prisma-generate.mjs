// Generates both Prisma clients (SQLite and PostgreSQL). `prisma generate` does not run the
// schema engine, but the CLI looks for it: any existing file satisfies that check.
import { spawnSync } from "node:child_process";

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
for (const provider of ["sqlite", "postgresql"]) {
  const result = spawnSync("npx", ["prisma", "generate", "--schema", `prisma/${provider}/schema.prisma`], {
    stdio: "inherit",
    env,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
