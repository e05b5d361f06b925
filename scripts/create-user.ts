// Creates an account, such as the first admin.
//   npx tsx scripts/create-user.ts --username alice --role admin             prompts for the password
//   echo "$PASSWORD" | npx tsx scripts/create-user.ts --username alice --role viewer
//   npx tsx scripts/create-user.ts --username alice --role supervisor --team "Floor 2" --password '...'
//   npx tsx scripts/create-user.ts --username bob --role supervisor --all-employees
// A supervisor sees all employees only with --all-employees; otherwise only the members of the
// --team(s) named, as on the admin form.
// (a password given as an option is visible to other users of the machine and in shell history)
import type { z } from "zod";
import { createAccount, type Scope } from "../lib/auth/accounts.ts";
import { passwordSchema, roleSchema, usernameSchema } from "../lib/auth/schemas.ts";
import { listTeams } from "../lib/auth/teams.ts";
import { parseInput } from "../lib/errors.ts";
import { getConfig } from "../lib/config.ts";
import { getDb } from "../lib/db/index.ts";
import { migrate } from "../lib/db/migrator.ts";
import { failUsage, parseCommandLine, runCommand } from "./cli.ts";

const USAGE =
  "usage: create-user --username NAME --role admin|supervisor|viewer [--all-employees | --team TEAM ...] [--password PASSWORD]";

function parseOptions() {
  const values = parseCommandLine(
    {
      username: { type: "string" },
      role: { type: "string" },
      password: { type: "string" },
      "all-employees": { type: "boolean" },
      team: { type: "string", multiple: true },
    },
    USAGE,
  );
  if (values.username === undefined) failUsage(`--username is required\n${USAGE}`);
  if (values.role === undefined) failUsage(`--role is required\n${USAGE}`);
  const role = validOption("role", roleSchema, values.role);
  const allEmployees = values["all-employees"] === true;
  const teams = values.team ?? [];
  // Whom a supervisor sees is said, never assumed: a supervisor without teams sees nobody.
  if (role === "supervisor" && allEmployees === teams.length > 0)
    failUsage(`A supervisor needs either --all-employees or --team TEAM (one or more)\n${USAGE}`);
  if (role !== "supervisor" && (allEmployees || teams.length))
    failUsage(`--all-employees and --team are for supervisors: admins and viewers see everyone\n${USAGE}`);
  return {
    username: validOption("username", usernameSchema, values.username),
    role,
    password: values.password,
    allEmployees,
    teams,
  };
}

/** The supervisor's scope with team names turned into ids; an unknown name stops everything. */
async function scopeFor(db: ReturnType<typeof getDb>, options: ReturnType<typeof parseOptions>) {
  if (options.role !== "supervisor") return undefined;
  if (options.allEmployees) return "all" satisfies Scope;
  const byName = new Map((await listTeams(db)).map((team) => [team.name, team.id]));
  return options.teams.map((name) => {
    const id = byName.get(name.trim().normalize("NFC"));
    if (id === undefined) throw new Error(`No team named ${name}; nothing was created`);
    return id;
  });
}

function validOption<S extends z.ZodType>(name: string, schema: S, value: unknown): z.output<S> {
  try {
    return parseInput(schema, value);
  } catch (error) {
    failUsage(`--${name}: ${(error as Error).message}`);
  }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve) => {
    let value = "";
    const finish = () => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (char === "\u0003") {
          finish();
          process.exit(130);
        }
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else if (char >= " ") value += char;
      }
    };
    input.on("data", onData);
  });
}

async function readPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (process.stdin.isTTY) {
    const first = await promptHidden("Password (at least 12 characters): ");
    validOption("password", passwordSchema, first);
    const second = await promptHidden("Repeat the password: ");
    if (first !== second) failUsage("The two passwords differ; nothing was created");
    return first;
  }
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  const line = text.split(/\r?\n/)[0];
  if (!line) failUsage("No password: give --password, type it at the prompt, or send it as the first line of stdin");
  return line;
}

async function main() {
  const options = parseOptions();
  const password = validOption("password", passwordSchema, await readPassword(options.password));
  getConfig();
  const db = getDb();
  await migrate(db);
  const scope = await scopeFor(db, options);
  const account = await createAccount(
    db,
    { username: options.username, role: options.role, password, ...(scope ? { scope } : {}) },
    { actor: "cli" },
  );
  const sees =
    account.role !== "supervisor" ? "" : account.allEmployees ? " (sees all employees)" : " (sees only their teams)";
  console.log(`Created ${account.role} account ${account.username}${sees}: sign in with this username and password.`);
}

runCommand(main, "Could not create the account");
