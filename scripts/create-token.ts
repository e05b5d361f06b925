// Creates an API token and prints it once, alone on the last line of stdout.
//   npx tsx scripts/create-token.ts --scope ingest --name "Floor 2 laptops"    for agents
//   npx tsx scripts/create-token.ts --scope read --name "Payroll export"       for integrations
//   npx tsx scripts/create-token.ts --scope metrics --name "Prometheus"        for monitoring
import { TOKEN_SCOPES, tokenInputSchema, type TokenScope } from "../lib/auth/schemas.ts";
import { parseInput } from "../lib/errors.ts";
import { createToken } from "../lib/auth/tokens.ts";
import { getConfig } from "../lib/config.ts";
import { getDb } from "../lib/db/index.ts";
import { migrate } from "../lib/db/migrator.ts";
import { failUsage, parseCommandLine, runCommand } from "./cli.ts";

const USAGE = `usage: create-token --scope ${TOKEN_SCOPES.join("|")} --name NAME`;

const USES: Record<TokenScope, string> = {
  ingest: "Agents send it to /api/report",
  read: "Integrations send it to the read API",
  metrics: "Prometheus sends it to /api/metrics",
};

function parseOptions() {
  const values = parseCommandLine({ scope: { type: "string" }, name: { type: "string" } }, USAGE);
  if (values.scope === undefined) failUsage(`--scope is required\n${USAGE}`);
  if (values.name === undefined) failUsage(`--name is required\n${USAGE}`);
  try {
    return parseInput(tokenInputSchema, { scope: values.scope, name: values.name, createdBy: "cli" });
  } catch (error) {
    failUsage(`${(error as Error).message}\n${USAGE}`);
  }
}

async function main() {
  const input = parseOptions();
  getConfig();
  const db = getDb();
  await migrate(db);
  const { token, info } = await createToken(db, input);
  console.error(
    `Created ${info.scope} token "${info.name}" (${info.prefix}…). ${USES[info.scope]} as "Authorization: Bearer <token>".`,
  );
  console.error("It is shown only now and stored only as a hash: copy it somewhere safe.");
  console.log(token);
}

runCommand(main, "Could not create the token");
