// A stop request (a signal) during batched changes: the batches in flight are answered and reported, nothing new
// is sent, the dump is ended; and the SigIgn mask that bin/conntrack hands over.

import { describe, expect, it } from 'vitest';
import { Batch } from '../../src/ctnetlink/batch.js';
import type { Transport } from '../../src/ctnetlink/transport.js';
import { ignoredAtStart, StopFlag } from '../../src/cli/signals.js';
import { ByteSink } from '../../src/format/sink.js';

/** A modifier socket whose batches are answered (all succeeded) when the test says so. */
function scriptedSocket(): { sock: Transport; sent: number[][]; answer(): void } {
  const sent: number[][] = [];
  const waiting: Array<() => void> = [];
  let seq = 0;
  const sock = {
    allocSeq: () => ++seq,
    sendBatch(_msgs: Buffer, seqs: number[]): Promise<number[]> {
      sent.push(seqs);
      return new Promise((resolve) => waiting.push(() => resolve(seqs.map(() => 0))));
    },
    getRecvBufferSize: () => 1 << 20,
  } as unknown as Transport;
  return { sock, sent, answer: () => waiting.shift()?.() };
}

/** Queues one message per sequence number (deleteEncoded takes the transport's next one, counted from 1). */
function batch(b: Batch, seqs: number[]): Batch {
  for (const _s of seqs) b.deleteEncoded(2, new Uint8Array(0));
  return b;
}

describe('Batch and a stop request', () => {
  it('answers in flight are reported, the next batch is not sent, the dump is ended', async () => {
    const { sock, sent, answer } = scriptedSocket();
    const out = new ByteSink();
    const stop = new StopFlag();
    const b = new Batch(sock, { maxUnanswered: 8, stop, afterAnswers: () => out.flush() });
    const reported: number[] = [];
    const onAnswers = (seqs: number[]) => () => void reported.push(...seqs);
    void batch(b, [1, 2]).send(onAnswers([1, 2]));
    expect(b.ended).toBe(false);
    expect(() => b.checkOpen()).not.toThrow();
    stop.request('SIGTERM');
    expect(b.ended).toBe(true);
    expect(batch(b, [3, 4]).send(onAnswers([3, 4]))).toBeUndefined();
    expect(sent).toEqual([[1, 2]]);
    // the dump callback ends the dump, and that is no failure
    const dump = new Promise<void>((_resolve, reject) => {
      try {
        b.checkOpen();
      } catch (e) {
        reject(e);
      }
    });
    expect(await b.dumpOutcome(dump)).toBeUndefined();
    const finished = b.finish();
    answer();
    await finished;
    expect(reported).toEqual([1, 2]);
  });

  it('a real dump failure is still reported', async () => {
    const { sock } = scriptedSocket();
    const b = new Batch(sock, { maxUnanswered: 8, stop: new StopFlag() });
    const e = new Error('EIO');
    expect(await b.dumpOutcome(Promise.reject(e))).toBe(e);
  });
});

describe('ignoredAtStart (SigIgn: bit n-1 for signal n)', () => {
  it('reads the signals a script left ignored', () => {
    expect([...ignoredAtStart('0000000000000006')].sort()).toEqual(['SIGINT', 'SIGQUIT']);
    expect([...ignoredAtStart('0000000000000001')]).toEqual(['SIGHUP']);
    expect([...ignoredAtStart('0000000000004000')]).toEqual(['SIGTERM']);
    // SIGPIPE and SIGXFSZ (Node's own) are not ours to restore
    expect([...ignoredAtStart('0000000001001000')]).toEqual([]);
  });
  it('knows nothing without a well-formed mask', () => {
    expect(ignoredAtStart(undefined).size).toBe(0);
    expect(ignoredAtStart('').size).toBe(0);
    expect(ignoredAtStart('zz').size).toBe(0);
  });
});
