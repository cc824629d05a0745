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

  constructor({
    peer,
    direction,
    socket,
    pubkey,
  }: { peer: string; direction: Direction; socket: WebSocket; pubkey: string }) {
    this.peer = peer;
    this.direction = direction;
    this.socket = socket;
    this.pubkey = pubkey;
    socket.on('pong', () => {
      this.alive = true;
    });
  }

  get key(): string {
    return connectionKey(this.direction, this.peer);
  }

  send(text: string): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    this.socket.send(text);
    return true;
  }
}

export function connectionKey(direction: Direction, peer: string): string {
  return `${direction}:${peer}`;
}
