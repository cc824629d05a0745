/** fluxd's JSON-RPC error codes (`src/rpc/protocol.h`) and the HTTP status each travels with (§6). */

export const RPC_ERROR = {
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  PARSE_ERROR: -32700,
  /** std::runtime_error, including wrong-param-count help text. */
  MISC: -1,
  TYPE_ERROR: -3,
  INVALID_ADDRESS_OR_KEY: -5,
  INVALID_PARAMETER: -8,
  IN_WARMUP: -28,
  CLIENT_IN_INITIAL_DOWNLOAD: -10,
} as const;

export class RpcError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
  }
}

/** Invalid request → 400, method not found → 404, everything else → 500 (`src/httprpc.cpp`). */
export function httpStatusFor(code: number): number {
  if (code === RPC_ERROR.INVALID_REQUEST) return 400;
  if (code === RPC_ERROR.METHOD_NOT_FOUND) return 404;
  return 500;
}

export function runtimeError(message: string): RpcError {
  return new RpcError(RPC_ERROR.MISC, message);
}

export const IBD_ERROR_MESSAGE = 'Wait until chain is synced closer to tip';
