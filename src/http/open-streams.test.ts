import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { capOpenStreams } from './open-streams.js';

describe('capOpenStreams', () => {
  it('does not count a stream whose client left before the check (its place would never be freed)', async () => {
    const app = Fastify();
    // Stands for authentication or a rate limit still reading the database when the client goes away.
    app.addHook('onRequest', (req, _reply, done) => {
      if (req.headers['x-leave']) req.raw.socket.once('close', () => setTimeout(done, 20));
      else done();
    });
    capOpenStreams(app, 1);
    let handled = 0;
    app.get('/v1/responses/:response_id', async () => ({ handled: ++handled }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const path = '/v1/responses/resp_1?stream=true';
    try {
      await new Promise<void>((resolve) => {
        const req = request({ port, path, headers: { 'x-leave': '1' } });
        req.on('error', () => resolve());
        req.end(() => setTimeout(() => req.destroy(), 50));
      });
      while (handled === 0) await new Promise((r) => setTimeout(r, 10));
      const next = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(next.status, 200, await next.text());
    } finally {
      await app.close();
    }
  });
});
