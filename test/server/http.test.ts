import { describe, expect, it, onTestFinished } from 'vitest';
import net from 'node:net';
import { createHubServer, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/server/http.js';
import type { Logger } from '../../src/log/logger.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

// The daemon's node:http server on a real socket.
describe('the hub server', () => {
  it('gives a client 30 s to send its request and 10 s for its headers, not node\'s 5 minutes (slowloris on hooks)', async () => {
    const server = createHubServer({ handle: async () => new Response('ok') }, quiet);
    expect(server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(30_000);
    expect(server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    // A request that arrives whole is answered as before.
    const { port } = server.address() as net.AddressInfo;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  });
});
