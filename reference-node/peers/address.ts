/** Listed addresses are `host:port` (IPv6 as `[addr]:port`); FluxOS's default API port applies when absent. */

export const DEFAULT_API_PORT = 16127;

export interface HostPort {
  host: string;
  port: number;
}

export function splitHostPort(address: string): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : DEFAULT_API_PORT };
  const colon = address.lastIndexOf(':');
  if (colon === -1 || address.indexOf(':') !== colon) return { host: address, port: DEFAULT_API_PORT };
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

export function joinHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `::ffff:1.2.3.4` (IPv4-mapped, how node reports IPv4 peers on a dual-stack socket) -> `1.2.3.4`. */
export function normalizeRemoteAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
