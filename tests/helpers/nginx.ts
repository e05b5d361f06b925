import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { freePort, ROOT } from "./server";

// docs/nginx.conf under real nginx (Debian's package), in a temporary folder of its own: the
// configuration an operator copies is the one run, with only its addresses, ports and
// certificate replaced. Used by tests/server/nginx.test.ts, tests/server/fleet.test.ts and
// `npm run bench:fleet`.

/** The nginx binary on PATH or in the usual sbin folders, if any. */
export function findNginx(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/local/nginx/sbin",
  ];
  return dirs
    .filter(Boolean)
    .map((dir) => path.join(dir, "nginx"))
    .find((file) => existsSync(file));
}

/** docs/nginx.conf with the given upstreams, ports and certificate; throws if the file no longer has what it replaces. */
function deriveSite(upstreams: number[], ports: { plain: number; tls: number }, cert: { crt: string; key: string }) {
  let site = readFileSync(path.join(ROOT, "docs/nginx.conf"), "utf8");
  const replace = (pattern: RegExp, by: string | ((match: string) => string)) => {
    if (!pattern.test(site)) throw new Error(`docs/nginx.conf no longer matches ${pattern}`);
    site = site.replace(pattern, by as string);
  };
  let first = true;
  replace(/^\s*#?\s*server 127\.0\.0\.1:\d+;.*$/gm, () => {
    if (!first) return "";
    first = false;
    return upstreams.map((port) => `    server 127.0.0.1:${port};`).join("\n");
  });
  replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.tls} ssl http2;\n    listen 127.0.0.1:${ports.plain};`);
  replace(/ssl_certificate \S+;/, `ssl_certificate ${cert.crt};`);
  replace(/ssl_certificate_key \S+;/, `ssl_certificate_key ${cert.key};`);
  return site;
}

export type RunningNginx = {
  /** http://127.0.0.1:port and https://127.0.0.1:port (a self-signed certificate). */
  plain: string;
  tls: string;
  pid: number;
  /** What nginx wrote to its stderr and error log so far (the last `chars`). */
  errors(chars?: number): string;
  /** The upstream addresses named in the access log, one entry per attempt. */
  upstreamsSeen(): Set<string>;
  stop(): Promise<void>;
};

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
    });
    req.on("error", () => resolve(false));
  });
}

/**
 * Starts nginx as a child of this process, in front of the instances listening on
 * `upstreams` (loopback ports), and waits until it passes /api/health on.
 */
export async function startNginx(
  upstreams: number[],
  { workerConnections = 1024 }: { workerConnections?: number } = {},
): Promise<RunningNginx> {
  const nginx = findNginx();
  if (!nginx) throw new Error("No nginx binary: apt-get install nginx");
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(path.join(dir, sub));
  const cert = { crt: path.join(dir, "site.crt"), key: path.join(dir, "site.key") };
  const selfSigned = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost";
  execFileSync("openssl", [...selfSigned.split(" "), "-keyout", cert.key, "-out", cert.crt], { stdio: "ignore" });
  const ports = { plain: await freePort(), tls: await freePort() };
  writeFileSync(path.join(dir, "work-tracing.conf"), deriveSite(upstreams, ports, cert));
  // The http { } block the site goes in, as /etc/nginx/nginx.conf holds it; the access log
  // names the instance that answered each request.
  writeFileSync(
    path.join(dir, "nginx.conf"),
    `${process.getuid?.() === 0 ? "user root;\n" : ""}pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
    log_format upstreams '$request_method $uri $status $upstream_addr $upstream_status';
    access_log ${dir}/access.log upstreams;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/work-tracing.conf;
}
`,
  );
  const child = spawn(nginx, ["-e", "stderr", "-p", dir, "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const errors = (chars = 4000) => {
    const log = path.join(dir, "error.log");
    return (output + (existsSync(log) ? readFileSync(log, "utf8") : "")).slice(-chars);
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const plain = `http://127.0.0.1:${ports.plain}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      const why = errors();
      await stop();
      throw new Error(`nginx exited:\n${why}`);
    }
    if (await answers(`${plain}/api/health`)) break;
    if (Date.now() > deadline) {
      const why = errors();
      await stop();
      throw new Error(`nginx did not answer:\n${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    plain,
    tls: `https://127.0.0.1:${ports.tls}`,
    pid: child.pid!,
    errors,
    upstreamsSeen: () =>
      new Set(
        readFileSync(path.join(dir, "access.log"), "utf8")
          .split("\n")
          .flatMap((line) => line.split(" ")[3]?.split(", ") ?? [])
          .filter((address) => /^127\.0\.0\.1:\d+$/.test(address)),
      ),
    stop,
  };
}
