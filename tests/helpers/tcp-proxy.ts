import net from "node:net";

/**
 * A TCP proxy on a fixed loopback port that makes a database "go away" and come back: cut
 * (every connection reset, new ones refused), stall (connections stay open but nothing passes,
 * as in a network cut without resets), restore.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;

  constructor(
    private targetHost: string,
    private targetPort: number,
  ) {}

  private track(socket: net.Socket) {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
  }

  /** Listens on a free port the first time, on the same port after a cut. */
  async start(): Promise<void> {
    const server = net.createServer((client) => {
      this.track(client);
      if (this.stalled) return;
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.track(upstream);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      // Forwarding by hand rather than pipe() so that a stall stops it at once.
      client.on("data", (data) => this.stalled || upstream.write(data));
      upstream.on("data", (data) => this.stalled || client.write(data));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting and resets every connection. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
    for (const socket of this.sockets) socket.resetAndDestroy();
    await closed;
  }

  /** Keeps every connection open and accepts new ones, but lets nothing through. */
  stall(): void {
    this.stalled = true;
  }

  /** Back to normal; connections that were stalled are reset, as a peer that lost them would. */
  async restore(): Promise<void> {
    if (this.stalled) {
      this.stalled = false;
      for (const socket of this.sockets) socket.resetAndDestroy();
    }
    if (!this.server) await this.start();
  }

  async close(): Promise<void> {
    this.stalled = false;
    await this.cut();
  }

  /** `url` (a PostgreSQL URL) with its host and port replaced by the proxy's. */
  proxied(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = "127.0.0.1";
    parsed.port = String(this.port);
    return parsed.toString();
  }
}
