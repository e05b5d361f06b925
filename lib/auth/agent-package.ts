/*
 * "Add agents" (DESIGN §11): the agent of client_tools as one zip, with config.env filled in
 * (this server's address, a new ingest token) and the install lines for one PC, Group Policy
 * and Intune. Built in memory and handed to the admin in the answer that made the token; the
 * server keeps only the token's hash.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { z } from "zod";
import type { Db } from "../db/index.ts";
import { AppError, parseInput } from "../errors.ts";
import { createToken, type ApiToken } from "./tokens.ts";

/** The agent's files as client_tools ships them; config.env is made from the example. */
const AGENT_FILES = ["report.ps1", "schedule_task.ps1", "run_hidden.vbs", "config.env.example", "README.md"];
/** The folder the zip unpacks to, and the name of the folder IntuneWinAppUtil packages. */
const AGENT_FOLDER = "work-tracing";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|\[::ffff:127(?:\.\d{1,3}){3}\]|0\.0\.0\.0|\[::\])$/i;

const serverUrlSchema = z
  .string()
  .trim()
  .max(500)
  .transform((text, ctx) => {
    try {
      const url = new URL(text);
      if ((url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password) {
        if (!url.search && !url.hash) return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
      }
    } catch {
      // Reported below.
    }
    ctx.addIssue({ code: "custom", message: "must be an http(s) address without user, query or fragment" });
    return z.NEVER;
  });

/**
 * Where the PCs are to send: the address the admin entered, else the one their browser
 * reached this server at. A loopback or unknown address is no use to other PCs, so then the
 * admin is asked to enter it instead of being handed a zip that cannot work.
 */
function resolveServerUrl(entered: string, reached: string | null): string {
  if (entered.trim()) return parseInput(z.object({ server_url: serverUrlSchema }), { server_url: entered }).server_url;
  const url = reached
    ? parseInput(z.object({ server_url: serverUrlSchema }), { server_url: reached }).server_url
    : null;
  if (!url || LOOPBACK.test(new URL(url).hostname)) {
    throw new AppError(
      400,
      "server_url_required",
      "Enter this server's address as the PCs reach it (server_url): the address this page was opened with cannot be used by other PCs",
    );
  }
  return url;
}

/** config.env.example with the endpoint and token set, and the rest of its settings left as documented. */
function fillConfig(example: string, endpoint: string, token: string): string {
  let found = 0;
  const filled = example.replace(/^(API_ENDPOINT|AGENT_TOKEN)=.*$/gm, (_line, key: string) => {
    found++;
    return `${key}="${key === "API_ENDPOINT" ? endpoint : token}"`;
  });
  if (found !== 2) throw new AppError(500, "agent_files", "config.env.example lacks API_ENDPOINT or AGENT_TOKEN");
  return filled;
}

/** The install lines for one PC, Group Policy and Intune, as client_tools/README.md explains them. */
function installGuide({ serverUrl, name }: { serverUrl: string; name: string }): string {
  const lines = [
    `work-tracing agent for "${name}"`,
    `Sends to ${serverUrl}/api/report with the ingest token in config.env.`,
    "",
    "config.env holds the token: keep this folder where only administrators can read it until",
    "it is installed. If the zip is lost, revoke the token on the admin's Tokens page.",
    "",
    "ONE PC",
    "1. Unzip; in PowerShell run as administrator, from the unzipped work-tracing folder:",
    "     Get-ChildItem . | Unblock-File",
    "     powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\schedule_task.ps1",
    "2. The agent starts at the next logon, unlock or Remote Desktop connect.",
    "",
    "GROUP POLICY (computer startup script)",
    "1. Copy the work-tracing folder to a share computers can read, for example",
    "     \\\\corp.example\\NETLOGON\\work-tracing",
    "2. Computer Configuration -> Policies -> Windows Settings -> Scripts -> Startup,",
    "   PowerShell Scripts tab: \\\\corp.example\\NETLOGON\\work-tracing\\schedule_task.ps1, no parameters.",
    "   It runs as SYSTEM at every boot and installs or upgrades in place.",
    "",
    "INTUNE (Win32 app)",
    "1. IntuneWinAppUtil -c <the work-tracing folder> -s schedule_task.ps1 -o <out>",
    "2. Install command:   powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\schedule_task.ps1",
    "   Uninstall command: powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\schedule_task.ps1 -Uninstall",
    "   Install behaviour: System.",
    "3. Detection rule: File, path %ProgramFiles%\\work-tracing, file report.ps1, File or folder exists,",
    "   Associated with a 32-bit app on 64-bit clients: No.",
    "",
    "Where Group Policy sets an execution policy, sign report.ps1 and schedule_task.ps1 first",
    "(README.md: Signing, execution policy and AppLocker/WDAC).",
    "",
    "New devices appear on the Fleet page as they report.",
  ];
  return lines.join("\r\n") + "\r\n";
}

type AgentFiles = Record<string, Uint8Array>;

/** client_tools' agent files, checked before any token is made so a broken install never leaves one unused. */
async function loadAgentFiles(): Promise<AgentFiles> {
  const files: AgentFiles = {};
  for (const file of AGENT_FILES) {
    try {
      // Spelled out from the working directory so the build traces client_tools only.
      files[file] = new Uint8Array(await readFile(path.join(process.cwd(), "client_tools", file)));
    } catch {
      throw new AppError(500, "agent_files", `The agent's ${file} is missing on the server`);
    }
  }
  fillConfig(new TextDecoder().decode(files["config.env.example"]), "", "");
  return files;
}

/** The zip: the agent files, config.env and INSTALL.txt under one work-tracing folder. */
function zipAgent(files: AgentFiles, { serverUrl, token, name }: { serverUrl: string; token: string; name: string }) {
  const entries: AgentFiles = {};
  for (const [file, bytes] of Object.entries(files)) entries[`${AGENT_FOLDER}/${file}`] = bytes;
  const example = new TextDecoder().decode(files["config.env.example"]);
  entries[`${AGENT_FOLDER}/config.env`] = strToU8(fillConfig(example, `${serverUrl}/api/report`, token));
  entries[`${AGENT_FOLDER}/INSTALL.txt`] = strToU8(installGuide({ serverUrl, name }));
  return zipSync(entries, { level: 6, mtime: new Date() }) as Uint8Array<ArrayBuffer>;
}

/**
 * "Add agents": a new ingest token named `name` (audited as the admin's) and the zip that
 * carries it, for `serverUrl` as entered or else as the admin's browser reached this server.
 * The plain token exists only in the answer; the database keeps its hash.
 */
export async function createAgentPackage(
  db: Db,
  { name, serverUrl, reachedUrl }: { name: string; serverUrl: string; reachedUrl: string | null },
  { actor, ip }: { actor: string; ip: string | null },
): Promise<{ zip: Uint8Array<ArrayBuffer>; filename: string; token: string; info: ApiToken; serverUrl: string }> {
  const url = resolveServerUrl(serverUrl, reachedUrl);
  const files = await loadAgentFiles();
  const { token, info } = await createToken(db, { name, scope: "ingest", createdBy: actor }, { ip });
  const slug = info.name.replace(/[^\w.-]+/g, "_").slice(0, 60) || "agents";
  return {
    zip: zipAgent(files, { serverUrl: url, token, name: info.name }),
    filename: `work-tracing-agent-${slug}.zip`,
    token,
    info,
    serverUrl: url,
  };
}
