// replayedEventStream: captured datagrams through the in-process reader's batch path, no socket (the build's
// warm-up of -E, cli/bin.ts).

import { describe, expect, it } from 'vitest';
import { replayedEventStream } from '../../src/ctnetlink/event-stream.js';
import { decodeFlow } from '../../src/ctnetlink/decode.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { readDatagrams } from '../helpers/replay.js';

const datagrams = readDatagrams('fixtures/kernel/list-default.hex');
const sub = { table: 'conntrack' as const, events: { new: true, update: true, destroy: true } };

describe('replayedEventStream', () => {
  it('hands on every conntrack message of the datagrams, in order, then one batch end', () => {
    const want: string[] = [];
    for (const d of datagrams) forEachMessage(d, (off, len, type) => void (type >= 0x10 && want.push(d.toString('hex', off, off + len))));
    expect(want.length).toBeGreaterThan(10);
    const got: string[] = [];
    const calls: string[] = [];
    const s = replayedEventStream(
      sub,
      {
        message: (buf, off, len) => {
          got.push(buf.toString('hex', off, off + len));
          decodeFlow(buf, off, len);
          calls.push('message');
        },
        batchEnd: () => calls.push('end'),
        failed: () => calls.push('failed'),
      },
      datagrams,
    );
    expect(got).toEqual([]);
    s.start();
    expect(got).toEqual(want);
    expect(calls.slice(-2)).toEqual(['message', 'end']);
    expect(calls.filter((c) => c !== 'message')).toEqual(['end']);
    s.stop();
  });

  it('stops handing on when a handler throws, and reports it', () => {
    const thrown: unknown[] = [];
    let n = 0;
    const s = replayedEventStream(
      sub,
      {
        message: () => {
          if (++n === 3) throw new Error('output gone');
        },
        failed: () => {},
        threw: (e) => thrown.push(e),
      },
      datagrams,
    );
    s.start();
    expect(n).toBe(3);
    expect(thrown).toHaveLength(1);
  });
});
