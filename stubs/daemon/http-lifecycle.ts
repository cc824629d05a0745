import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `port` (0 = ephemeral) and resolves with the bound port; a bind error rejects. */
export async function listenOn(server: Server, args: { port: number; host: string }): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, args.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return boundPort(server);
}

export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Closes the server and every open connection (keep-alive clients would hold it open otherwise). */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
