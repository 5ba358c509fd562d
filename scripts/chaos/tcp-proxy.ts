import net from 'node:net';

/**
 * A TCP forwarder in front of the embedded edge, so a fault scenario can take "the edge" away the
 * way a restarting edge process looks to its clients: the listening socket closes, every open
 * connection is reset, new connections are refused, and later the same port answers again.
 *
 * What it does NOT do: drop the emulators' state. The embedded S3/SQS emulator (fauxqs 1.9.2) keeps
 * everything in memory and has no persistence, so restarting the real edge process would erase the
 * source objects, the queue and its in-flight messages — nothing would be left to account for. The
 * proxy models an edge with persistent state (DynamoDB on disk, as `egress edge --dynamodb-path`
 * offers; S3/SQS as LocalStack with PERSISTENCE=1 would) that goes down and comes back.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private listeningPort = 0;
  /** Connections accepted while up, and connections reset by {@link down}. */
  readonly stats = { accepted: 0, reset: 0, restarts: 0 };

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free port (or `port`) of 127.0.0.1 and forwards to `target` (`http://host:port`). */
  static async start(target: string, port = 0): Promise<TcpProxy> {
    const url = new URL(target);
    const proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.listen(port);
    return proxy;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** `http://127.0.0.1:<port>`: give it to clients instead of the edge's endpoint. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.listeningPort = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.stats.accepted += 1;
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The edge "stops": no listener, every connection reset (clients see ECONNRESET, then ECONNREFUSED). */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) {
      this.stats.reset += 1;
      socket.resetAndDestroy();
    }
    this.sockets.clear();
    await closed;
  }

  /** The edge "is back" on the same port. */
  async up(): Promise<void> {
    if (this.server) return;
    await this.listen(this.listeningPort);
    this.stats.restarts += 1;
  }

  async stop(): Promise<void> {
    await this.down();
  }
}
