// A Transport (src/ctnetlink/transport.ts) that plays the kernel from captured datagrams, so the real
// ConntrackClient and the commands above it run without root. It records every request message's bytes as sent
// and answers each one with the captured datagrams of its sequence number: a capture made by
// scripts/capture-fixtures.ts with SOCKETS=1 holds each socket's datagrams and the first sequence number the
// socket used, and this transport numbers its requests from the same one, so the commands' requests meet the
// answers the kernel gave to the same requests. Answers arrive on a later turn of the event loop, as from a socket.

import { readFileSync } from 'node:fs';
import type { Transport } from '../../src/ctnetlink/transport.js';
import { decodeTree, type AttrNode } from '../../src/netlink/attributes.js';
import { NLM_F, NLMSG, NLMSG_HDRLEN } from '../../src/netlink/constants.js';
import { ATTRS_OFFSET, encodeRequest, forEachMessage, type NfRequest } from '../../src/netlink/framing.js';
import { type MessageHandler, NetlinkError } from '../../src/netlink/socket/nfnl-socket.js';

/** One socket of a capture: the first sequence number it used and the datagrams it received, in order. */
export interface SocketCapture {
  seq: number;
  datagrams: Buffer[];
}

/** Reads a capture of SOCKETS=1 (fixtures/kernel/answers/ct-*.hex): `# socket seq N` starts each socket's datagrams. */
export function readSockets(path: string): SocketCapture[] {
  const out: SocketCapture[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^# socket seq (\d+)/.exec(line);
    if (m) out.push({ seq: Number(m[1]), datagrams: [] });
    else if (line.trim() !== '' && !line.startsWith('#')) out[out.length - 1].datagrams.push(Buffer.from(line.trim(), 'hex'));
  }
  return out;
}

/** The first message's sequence number in a datagram. */
const seqOf = (d: Buffer): number => d.readUInt32LE(8);

/** A sent message, decoded: its header fields and its attributes (bytes, for comparing with a declared tree). */
export interface SentMessage {
  subsys: number;
  msg: number;
  /** NLM_F_* as sent, NLM_F_REQUEST included */
  flags: number;
  family: number;
  seq: number;
  attrs: Buffer;
}

export function decodeSent(b: Buffer): SentMessage {
  const type = b.readUInt16LE(4);
  return {
    subsys: type >> 8,
    msg: type & 0xff,
    flags: b.readUInt16LE(6),
    family: b[16],
    seq: b.readUInt32LE(8),
    attrs: b.subarray(ATTRS_OFFSET),
  };
}

/** A declared request as this transport would record it (NLM_F_REQUEST added, as the encoder does). */
export function declared(req: NfRequest): Omit<SentMessage, 'seq'> {
  return decodeSentWithoutSeq(encodeRequest(req, 0));
}
export const decodeSentWithoutSeq = (b: Buffer): Omit<SentMessage, 'seq'> => {
  const { seq: _seq, ...rest } = decodeSent(b);
  return rest;
};
/** A sent message's attributes as a tree (to look one attribute up in a test). */
export const sentTree = (m: SentMessage): AttrNode[] => decodeTree(m.attrs, 0, m.attrs.length);

interface Waiting {
  onMessage?: MessageHandler;
  dump: boolean;
  ack: boolean;
  threaded: boolean;
}

export class ScriptedTransport implements Transport {
  /** every request message, as sent, in order */
  readonly sent: Buffer[] = [];
  private nextSeq: number;
  /** the captured datagrams not handed out yet (a test may add an answer of its own) */
  readonly pending: Buffer[];
  closed = false;

  constructor(
    capture: SocketCapture,
    private readonly recvBufferSize = 425984,
  ) {
    this.nextSeq = capture.seq;
    this.pending = [...capture.datagrams];
  }

  /** The sent messages, decoded. */
  get messages(): SentMessage[] {
    return this.sent.map(decodeSent);
  }

  allocSeq(): number {
    return this.nextSeq++;
  }

  getRecvBufferSize(): number {
    return this.recvBufferSize;
  }

  close(): void {
    this.closed = true;
  }

  request(req: NfRequest, onMessage?: MessageHandler): Promise<void> {
    return this.answer(req, { onMessage, dump: false, ack: false, threaded: false });
  }

  requestThreaded(req: NfRequest, onMessage: MessageHandler): Promise<void> {
    return this.answer(req, { onMessage, dump: true, ack: false, threaded: true });
  }

  /** The captured datagrams answering these sequence numbers, taken off the capture in order. */
  private take(seqs: ReadonlySet<number>): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.pending.length; ) {
      if (seqs.has(seqOf(this.pending[i]))) out.push(...this.pending.splice(i, 1));
      else i++;
    }
    return out;
  }

  private async answer(req: NfRequest, w: Waiting): Promise<void> {
    const seq = this.allocSeq();
    const msg = encodeRequest(req, seq);
    this.sent.push(msg);
    w.dump = (req.flags & NLM_F.DUMP) === NLM_F.DUMP && (req.flags & NLM_F.CREATE) === 0;
    w.ack = (req.flags & NLM_F.ACK) !== 0;
    const datagrams = this.take(new Set([seq]));
    await nextTurn();
    for (const d of datagrams) {
      let settled: 'ok' | Error | undefined;
      const waits: Promise<void>[] = [];
      forEachMessage(d, (off, len, type, flags) => {
        if (type === NLMSG.ERROR) {
          const errno = -d.readInt32LE(off + NLMSG_HDRLEN);
          settled = errno === 0 ? 'ok' : new NetlinkError(errno);
          return false;
        }
        if (flags & NLM_F.DUMP_INTR) {
          settled = new NetlinkError(4); // EINTR, as the socket makes of NLM_F_DUMP_INTR
          return false;
        }
        if (type === NLMSG.DONE) {
          settled = 'ok';
          return false;
        }
        if (type < 0x10) return;
        const p = w.onMessage?.(d, off, len, type, flags);
        if (p && w.threaded) waits.push(p);
      });
      for (const p of waits) await p;
      if (settled instanceof Error) throw settled;
      // a request without ACK and not a dump settles after the datagram with its first reply (NfnlSocket)
      if (settled === 'ok' || (!w.dump && !w.ack)) return;
      await nextTurn();
    }
    throw new Error(`scripted transport: the capture has no (more) answer to request seq ${seq} (type ${req.subsys}/${req.msg})`);
  }

  sendBatch(msgs: Buffer, seqs: number[], handlers?: Array<MessageHandler | undefined>): Promise<number[]> {
    forEachMessage(msgs, (off, len) => {
      this.sent.push(Buffer.from(msgs.subarray(off, off + len)));
    });
    const index = new Map(seqs.map((s, i) => [s, i]));
    const datagrams = this.take(new Set(seqs));
    const results = new Array<number>(seqs.length).fill(0);
    const last = seqs[seqs.length - 1];
    return (async () => {
      await nextTurn();
      for (const d of datagrams) {
        let done = false;
        forEachMessage(d, (off, len, type, flags, seq) => {
          const i = index.get(seq);
          if (i === undefined) return;
          if (type === NLMSG.ERROR) {
            results[i] = -d.readInt32LE(off + NLMSG_HDRLEN);
            if (seq === last) done = true;
            return;
          }
          if (type >= 0x10) void handlers?.[i]?.(d, off, len, type, flags);
        });
        if (done) return results;
        await nextTurn();
      }
      throw new Error(`scripted transport: the capture has no answer to the batch ending with seq ${last}`);
    })();
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The main socket's and the modifier's transports of a capture (the modifier's empty when the command had none). */
export function scriptedPair(path: string): { main: ScriptedTransport; modifier: ScriptedTransport } {
  const [main, modifier] = readSockets(path);
  return { main: new ScriptedTransport(main), modifier: new ScriptedTransport(modifier ?? { seq: 1, datagrams: [] }) };
}
