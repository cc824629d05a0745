import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger } from '../log.js';
import { HttpError } from './json.js';
import { type ApiHandlers, createApiServer } from './server.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const handlers: ApiHandlers = {
  eventStream: undefined,
  info: () => ({ ip: '198.19.0.11:16127' }),
  stats: () => ({}),
  health: () => ({ ready: false, checks: { database: true, daemon: false } }),
  cachedLocations: async (name) => [{ name: name ?? 'all' }],
  viewLocations: async (filter) => [filter],
  registerApp: async (body) => {
    if ((body as { fail?: boolean }).fail) throw new HttpError({ status: 400, message: 'request body: fail is set' });
    throw new Error('database went away');
  },
  daemonNodeStatus: async () => ({ status: 'CONFIRMED' }),
  upgrade: (_req, socket) => socket.destroy(),
};

async function start(): Promise<string> {
  server = createApiServer({ handlers, logger: createLogger({ level: 'silent' }) });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

describe('API server', () => {
  it('serves routes in FluxOS reply shape', async () => {
    const base = await start();
    expect(await call(`${base}/apps/location/My%20App`)).toEqual({
      status: 200,
      body: { status: 'success', data: [{ name: 'My App' }] },
    });
    expect(await call(`${base}/apps/location`)).toEqual({
      status: 200,
      body: { status: 'success', data: [{ name: 'all' }] },
    });
    expect((await call(`${base}/apps/locations/view?name=a&ip=1.2.3.4:1`)).body).toEqual({
      status: 'success',
      data: [{ name: 'a', ip: '1.2.3.4:1' }],
    });
    expect(await call(`${base}/health`)).toEqual({
      status: 503,
      body: { ready: false, checks: { database: true, daemon: false } },
    });
  });

  it('answers bad requests with JSON errors and keeps running', async () => {
    const base = await start();
    const post = (body: string) => call(`${base}/apps/register`, { method: 'POST', body });
    expect(await post('{not json')).toMatchObject({ status: 400, body: { status: 'error', data: { code: 400 } } });
    expect(((await post('{not json')).body as { data: { message: string } }).data.message).toMatch(/malformed JSON/);
    expect(await post('')).toMatchObject({ status: 400 });
    expect(await post('{"fail":true}')).toMatchObject({
      status: 400,
      body: { data: { message: 'request body: fail is set' } },
    });
    expect(await post('{}')).toMatchObject({ status: 500, body: { data: { message: 'database went away' } } });
    expect(await call(`${base}/apps/location/%E0%A4%A`)).toMatchObject({ status: 400 });
    expect(await call(`${base}/nope`)).toMatchObject({ status: 404 });
    expect(await call(`${base}/apps/register`)).toMatchObject({ status: 405 });
    expect(await call(`${base}/flux/eventstream`)).toMatchObject({
      status: 404,
      body: { data: { message: 'test event stream is disabled' } },
    });
    expect(await call(`${base}/flux/info`)).toEqual({
      status: 200,
      body: { status: 'success', data: { ip: '198.19.0.11:16127' } },
    });
  });

  it('refuses WebSocket upgrades outside /ws/flux', async () => {
    const base = await start();
    const socket = new WebSocket(`${base.replace('http', 'ws')}/elsewhere`);
    const status = await new Promise<number | undefined>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      socket.once('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
  });
});
