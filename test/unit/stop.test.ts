// A stop request (a signal) during batched changes: the batches in flight are answered and reported, nothing new
// is sent, the dump is ended; and the SigIgn mask that bin/conntrack hands over.

import { describe, expect, it } from 'vitest';
import { AnsweredBatches } from '../../src/commands/answered-batches.js';
import { ignoredAtStart, StopFlag } from '../../src/cli/signals.js';
import { ByteSink } from '../../src/format/sink.js';
import { NlWriter } from '../../src/netlink/writer.js';
import type { NfnlSocket } from '../../src/netlink/socket.js';

/** A modifier socket whose batches are answered (all succeeded) when the test says so. */
function scriptedSocket(): { sock: NfnlSocket; sent: number[][]; answer(): void } {
  const sent: number[][] = [];
  const waiting: Array<() => void> = [];
  const sock = {
    sendBatch(_msgs: Buffer, seqs: number[]): Promise<number[]> {
      sent.push(seqs);
      return new Promise((resolve) => waiting.push(() => resolve(seqs.map(() => 0))));
    },
  } as unknown as NfnlSocket;
  return { sock, sent, answer: () => waiting.shift()?.() };
}

function batch(seqs: number[]): Buffer {
  const w = new NlWriter();
  for (const s of seqs) w.endMessage(w.beginMessage(1, 2, 0, 2, s));
  return w.take();
}

describe('AnsweredBatches and a stop request', () => {
  it('answers in flight are reported, the next batch is not sent, the dump is ended', async () => {
    const { sock, sent, answer } = scriptedSocket();
    const out = new ByteSink();
    const stop = new StopFlag();
    const b = new AnsweredBatches(sock, out, 8, stop);
    const reported: number[] = [];
    const onAnswers = (seqs: number[]) => () => void reported.push(...seqs);
    void b.send(batch([1, 2]), [1, 2], undefined, onAnswers([1, 2]));
    expect(b.ended).toBe(false);
    expect(() => b.checkOpen()).not.toThrow();
    stop.request('SIGTERM');
    expect(b.ended).toBe(true);
    expect(b.send(batch([3, 4]), [3, 4], undefined, onAnswers([3, 4]))).toBeUndefined();
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
    const b = new AnsweredBatches(sock, new ByteSink(), 8, new StopFlag());
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
