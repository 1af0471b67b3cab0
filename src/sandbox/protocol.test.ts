import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameDecoder, ProtocolError } from './protocol.js';

function frame(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

describe('worker protocol', () => {
  it('reassembles frames split across and packed into chunks', () => {
    const bytes = Buffer.concat([
      frame({ type: 'ready' }),
      frame({ type: 'result', id: 7, logs: 'hi\n', images: ['aGk=', 5], error: null }),
    ]);
    const decoder = new FrameDecoder();
    const replies = [];
    for (let i = 0; i < bytes.length; i += 3) replies.push(...decoder.push(bytes.subarray(i, i + 3)));
    assert.deepEqual(replies, [
      { type: 'ready' },
      { type: 'result', id: 7, logs: 'hi\n', images: ['aGk='], error: null },
    ]);
  });

  it('rejects oversized frames before buffering them, and garbage', () => {
    const big = Buffer.alloc(4);
    big.writeUInt32BE(1000);
    assert.throws(() => new FrameDecoder(100).push(big), ProtocolError);
    assert.throws(() => new FrameDecoder().push(frame({ type: 'surprise' })), ProtocolError);
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x')]);
    assert.throws(() => new FrameDecoder().push(notJson), ProtocolError);
  });

  it('encodes requests with a big-endian length prefix', () => {
    const encoded = encodeFrame({ op: 'exec', id: 1, code: 'é' });
    assert.equal(encoded.readUInt32BE(0), encoded.length - 4);
    assert.deepEqual(JSON.parse(encoded.subarray(4).toString()), { op: 'exec', id: 1, code: 'é' });
  });
});
