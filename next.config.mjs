/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and driver packages load from node_modules at run time instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "pg", "@prisma/client", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg"],
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm run typecheck` checks the whole project (tests and scripts too) as its own CI step.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
