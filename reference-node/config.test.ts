import { describe, expect, it } from 'vitest';
import { ConfigError, loadNodeConfig } from './config.js';

const base = {
  FLUXNET_NODE_IP: '198.19.0.11:16127',
  FLUXNET_NODE_KEY: '3',
  FLUXNET_MONGO_URI: 'mongodb://127.0.0.1:27017',
  FLUXNET_DAEMON_RPC_URL: 'http://127.0.0.1:16124/',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadNodeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadNodeConfig', () => {
  it('resolves a fixture key index, defaults and derived values', () => {
    const config = loadNodeConfig(base);
    expect(config.pubkeyHex).toBe('03f5f9a421373541e3ca440a62667d4be8b4d3382da705d19e9c2b9ee886dcc806');
    expect(config).toMatchObject({
      ip: '198.19.0.11:16127',
      apiHost: '0.0.0.0',
      apiPort: 16127,
      dbPrefix: '',
      testEventStream: false,
      shutdownTimeoutMs: 10_000,
      daemon: { zmqEndpoint: undefined, timeoutMs: 10_000, rpcUser: '' },
    });
    expect(config.tunables.gossipValidityMs).toBe(300_000);
    expect(config.appsDir).toMatch(/fixtures\/apps$/);
    expect(config.regressions.size).toBe(0);
  });

  it('takes a raw key, a scale and overrides', () => {
    const config = loadNodeConfig({
      ...base,
      FLUXNET_NODE_KEY: '317a108a9e9e5ae0c15ba3b6bdb4d90b9ce56f07c9740775413da58718a83779',
      FLUXNET_TIME_SCALE: '0.01',
      FLUXNET_TUNABLES: '{"minOutboundPeers": 3}',
      FLUXNET_TEST_EVENT_STREAM: '1',
      FLUXNET_API_PORT: '0',
      FLUXNET_DAEMON_ZMQ: 'tcp://127.0.0.1:16123',
      FLUXNET_REGRESSIONS: 'gte-guards',
      FLUXNET_BOOT_ID_FILE: '/machine/boot-id',
    });
    expect([...config.regressions]).toEqual(['gte-guards']);
    expect(config.bootIdSource).toEqual({ FLUXNET_BOOT_ID: undefined, FLUXNET_BOOT_ID_FILE: '/machine/boot-id' });
    expect(config.pubkeyHex).toBe('026d841a045df953c560d7f5cef9577e78f1ea516db6d88f6793069be659195789');
    expect(config.tunables.gossipValidityMs).toBe(3_000);
    expect(config.tunables.minOutboundPeers).toBe(3);
    expect(config).toMatchObject({
      testEventStream: true,
      apiPort: 0,
      daemon: { zmqEndpoint: 'tcp://127.0.0.1:16123' },
    });
  });

  it.each([
    [{ FLUXNET_NODE_IP: undefined }, 'FLUXNET_NODE_IP', /required/],
    [{ FLUXNET_NODE_IP: '198.19.0.11' }, 'FLUXNET_NODE_IP', /host:port/],
    [{ FLUXNET_NODE_KEY: '99' }, 'FLUXNET_NODE_KEY', /no node key with index 99/],
    [{ FLUXNET_NODE_KEY: 'zz' }, 'FLUXNET_NODE_KEY', /64 hex chars/],
    [{ FLUXNET_MONGO_URI: 'http://db' }, 'FLUXNET_MONGO_URI', /mongodb:\/\//],
    [{ FLUXNET_DAEMON_RPC_URL: 'ftp://x' }, 'FLUXNET_DAEMON_RPC_URL', /http/],
    [{ FLUXNET_DAEMON_ZMQ: 'ipc://x' }, 'FLUXNET_DAEMON_ZMQ', /tcp:\/\//],
    [{ FLUXNET_TEST_EVENT_STREAM: 'maybe' }, 'FLUXNET_TEST_EVENT_STREAM', /maybe/],
    [{ FLUXNET_TIME_SCALE: '-1' }, 'FLUXNET_TIME_SCALE', /> 0/],
    [{ FLUXNET_TUNABLES: '{"nope": 1}' }, 'FLUXNET_TUNABLES', /nope/],
    [{ FLUXNET_KEYS_FILE: '/nonexistent/keys.json' }, 'FLUXNET_KEYS_FILE', /cannot read/],
    [{ FLUXNET_REGRESSIONS: 'no-such-bug' }, 'FLUXNET_REGRESSIONS', /"no-such-bug": unknown regression/],
  ])('names the bad variable: %o', (override, variable, message) => {
    const error = configError({ ...base, ...override });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });
});
