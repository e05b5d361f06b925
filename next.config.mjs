// The same values as lib/server/security-headers.ts (this file cannot import TypeScript); the pages'
// Content-Security-Policy, with its per-request nonce, comes from proxy.ts.
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and driver packages load from node_modules at run time instead of being bundled.
  serverExternalPackages: [
    "better-sqlite3",
    "pg",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    // One copy of prom-client beside server.ts's, and its optional OpenTelemetry import unresolved.
    "prom-client",
    // Streams its zip through Node's streams; nothing to gain from bundling it.
    "exceljs",
  ],
  // "Add agents" zips the agent from client_tools at run time; hosts that trace files need it listed.
  outputFileTracingIncludes: { "/api/devices/agents": ["./client_tools/**"] },
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm run typecheck` checks the whole project (tests and scripts too) as its own CI step.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      {
        source: "/api/:path*",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }],
      },
      {
        source: "/_next/:path*",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }],
      },
    ];
  },
};

export default nextConfig;
