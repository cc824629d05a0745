/** One authenticated peer WebSocket: who it is, which way it was opened, whether it answered the last ping. */
import type { WebSocket } from 'ws';

export type Direction = 'inbound' | 'outbound';

export class PeerConnection {
  readonly peer: string;
  readonly direction: Direction;
  readonly socket: WebSocket;
  readonly pubkey: string;
  /** Cleared on each ping, set by the pong: still clear at the next ping means dead. */
  alive = true;
  /** performance.now() when the handshake completed. */
  readonly connectedAt = performance.now();
  /** performance.now() at which the peer says it started (its hello's uptime), else connectedAt. */
  readonly peerUpSince: number;

  constructor({
    peer,
    direction,
    socket,
    pubkey,
    uptimeMs,
  }: { peer: string; direction: Direction; socket: WebSocket; pubkey: string; uptimeMs?: number }) {
    this.peer = peer;
    this.peerUpSince = this.connectedAt - (uptimeMs ?? 0);
    this.direction = direction;
    this.socket = socket;
    this.pubkey = pubkey;
    socket.on('pong', () => {
      this.alive = true;
    });
  }

  /**
   * Open and answering: a peer that missed a pong is terminated at the next ping round, so every
   * open connection has missed none (a pong still in flight is not a missed one).
   */
  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  get key(): string {
    return connectionKey(this.direction, this.peer);
  }

  /** A string goes as a text frame, bytes as a binary frame. */
  send(frame: string | Uint8Array): boolean {
    if (!this.open) return false;
    this.socket.send(frame, { binary: typeof frame !== 'string' });
    return true;
  }
}

export function connectionKey(direction: Direction, peer: string): string {
  return `${direction}:${peer}`;
}
