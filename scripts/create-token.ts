// Creates an API token and prints it once, alone on the last line of stdout.
//   npx tsx scripts/create-token.ts --scope ingest --name "Floor 2 laptops"    for agents
//   npx tsx scripts/create-token.ts --scope read --name "Payroll export"       for integrations
import { parseArgs } from "node:util";
import { parseInput, tokenInputSchema } from "../lib/auth/schemas.ts";
import { createToken } from "../lib/auth/tokens.ts";
import { ConfigError, getConfig } from "../lib/config.ts";
import { closeDb, getDb } from "../lib/db.ts";
import { AppError } from "../lib/errors.ts";
import { migrate } from "../lib/migrator.ts";

const USAGE = "usage: create-token --scope ingest|read --name NAME";

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        scope: { type: "string" },
        name: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.scope === undefined) fail(`--scope is required\n${USAGE}`);
  if (values.name === undefined) fail(`--name is required\n${USAGE}`);
  try {
    return parseInput(tokenInputSchema, { scope: values.scope, name: values.name, createdBy: "cli" });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
}

async function main() {
  const input = parseOptions();
  getConfig();
  const db = getDb();
  await migrate(db);
  const { token, info } = await createToken(db, input);
  const use = info.scope === "ingest" ? "Agents send it to /api/report" : "Integrations send it to the read API";
  console.error(`Created ${info.scope} token "${info.name}" (${info.prefix}…). ${use} as "Authorization: Bearer <token>".`);
  console.error("It is shown only now and stored only as a hash: copy it somewhere safe.");
  console.log(token);
  await closeDb();
}

main().catch(async (error) => {
  const message = error instanceof ConfigError || error instanceof AppError ? error.message : String((error as Error)?.message ?? error).split("\n")[0];
  console.error(`Could not create the token: ${message}`);
  await closeDb().catch(() => undefined);
  process.exit(1);
});
