// The layering of DESIGN §2, checked on every `npm run lint`. From the top:
//   app, server.ts, instrumentation.ts, proxy.ts, scripts       entry points
//   lib/jobs, lib/server, lib/demo                              work that drives several domains
//   lib/ingest, lib/hours, lib/reports, lib/auth, lib/devices,
//   lib/schedules                                               the domain
//   lib/users.ts, lib/time.ts, lib/db                           shared vocabulary
//   lib/config.ts, lib/errors.ts, lib/log.ts, lib/metrics        the bottom
// Each uses only what lies below it (and its own folder).
// lib/metrics is the bottom too: the domain records into it (ingest, the engine) without a
// sideways import, and it knows nothing of the database; lib/server reads the scrape-time figures.
const BOTTOM = "^lib/((config|errors|log|validation)\\.ts$|metrics/)";
const VOCABULARY = "^lib/(users\\.ts|time\\.ts|db/)";
const DOMAIN = "^lib/(ingest|hours|reports|auth|devices|schedules)/";
const GENERATED = "^lib/generated/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "lib-imports-entry-points",
      comment:
        "lib is plain functions: it never reaches up into pages, routes, scripts, tests or the server's entry files.",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^(app/|scripts/|tests/|server\\.ts$|instrumentation\\.ts$|proxy\\.ts$)" },
    },
    {
      name: "bottom-imports-nothing-above",
      comment:
        "config, errors, log, validation and metrics are what everything else stands on: they import no other part of lib.",
      severity: "error",
      from: { path: BOTTOM },
      to: { path: "^lib/", pathNot: BOTTOM },
    },
    {
      name: "vocabulary-imports-only-the-bottom",
      comment:
        "users, time and db are shared vocabulary: they may use the bottom, each other and the generated clients, never a domain.",
      severity: "error",
      from: { path: VOCABULARY },
      to: { path: "^lib/", pathNot: [BOTTOM, VOCABULARY, GENERATED] },
    },
    {
      name: "domain-imports-no-cross-cutting-work",
      comment: "jobs, server start-up and demo data drive the domain; the domain never depends on them.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "^lib/(jobs|server|demo)/" },
    },
    {
      name: "domain-sideways-only-through-entry-points",
      comment:
        "A domain folder uses another only through a named entry point; " +
        "what several domains share (user keys, the event type, instants, SQL dialects) lives in the vocabulary below them. " +
        "Add an entry point here, with its reason, before adding such an import. " +
        "lib/devices/status.ts: a user's status combines their devices' statuses (DESIGN §6), so the reports read it; " +
        "ingest keeps each stream's current run by its rule (findCurrentRun). " +
        "lib/schedules/expected.ts and store.ts (loadCalendar): every report adds expected hours (DESIGN §11). " +
        "lib/auth/audit.ts: every admin change, schedules and leave included, goes to the one audit log.",
      severity: "error",
      from: { path: "^lib/(ingest|hours|reports|auth|devices|schedules)/" },
      to: {
        path: DOMAIN,
        pathNot: [
          "^lib/$1/",
          "^lib/devices/status\\.ts$",
          "^lib/schedules/(expected|store)\\.ts$",
          "^lib/auth/audit\\.ts$",
        ],
      },
    },
    {
      name: "only-lib-db-opens-the-database",
      comment:
        "One module owns the Prisma client and the driver adapters (lib/db): nothing else imports a generated client or a driver.",
      severity: "error",
      from: { pathNot: "^lib/db/|^lib/generated/|^tests/|^scripts/bench/" },
      to: { path: ["^lib/generated/", "^node_modules/(@prisma/client|@prisma/adapter-[^/]+|better-sqlite3|pg)/"] },
    },
    {
      name: "app-never-touches-a-driver",
      comment: "Pages and routes reach the database through lib only, not even for a type.",
      severity: "error",
      from: { path: "^app/" },
      to: { path: ["^lib/generated/", "^node_modules/(@prisma/client|@prisma/adapter-[^/]+|better-sqlite3|pg)/"] },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.next|lib/generated/.*/internal)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
