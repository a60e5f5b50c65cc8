// A CtClient that answers from datagrams captured from the real kernel (fixtures/kernel/*.hex), so fixture
// tests run the real command code without privileges.

import { readFileSync } from 'node:fs';
import type { CtClient, DumpOptions, RawFlowHandler } from '../../src/ctnetlink/client.js';
import { decodeCpuStats, decodeGlobalStats } from '../../src/ctnetlink/decode.js';
import type { CpuStats, GlobalStats } from '../../src/ctnetlink/model.js';
import { forEachMessage, isControl } from '../../src/netlink/framing.js';
import { NFNL_SUBSYS, NLMSG, NLMSG_HDRLEN } from '../../src/netlink/constants.js';
import { IPCTNL_MSG_CT, IPCTNL_MSG_EXP } from '../../src/ctnetlink/constants.js';
import { NetlinkError } from '../../src/netlink/socket/nfnl-socket.js';
import { ExpectOperations, type Requester } from '../../src/ctnetlink/expect-ops.js';
import type { EventSource, EventStreamHandlers, EventSubscription } from '../../src/ctnetlink/event-stream.js';
import type { NfRequest } from '../../src/netlink/framing.js';
import type { Batch } from '../../src/ctnetlink/batch.js';

const CT_STATS = (NFNL_SUBSYS.CTNETLINK << 8) | IPCTNL_MSG_CT.GET_STATS;
const CT_STATS_CPU = (NFNL_SUBSYS.CTNETLINK << 8) | IPCTNL_MSG_CT.GET_STATS_CPU;
// the kernel answers IPCTNL_MSG_EXP_GET_STATS_CPU in the conntrack subsystem (ctnetlink_exp_stat_fill_info:
// nfnl_msg_type(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_EXP_GET_STATS_CPU)), as fixtures/kernel/expect-stats.hex shows
const EXP_STATS_CPU = (NFNL_SUBSYS.CTNETLINK << 8) | IPCTNL_MSG_EXP.GET_STATS_CPU;
/** answers to the stats requests, never entries of a dump */
const STATS_ANSWERS = new Set([CT_STATS, CT_STATS_CPU, EXP_STATS_CPU]);

/** Reads a .hex fixture: one datagram per line, '#' lines are comments. */
export function readDatagrams(path: string): Buffer[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => Buffer.from(l.trim(), 'hex'));
}

/**
 * Hands a request the captured answers of its kind only: a capture of -L also holds the
 * IPCTNL_MSG_CT_GET_STATS answer that the client asks for before dumping (DumpOptions.threaded 'auto').
 * Errors answer every request.
 */
function replay(
  datagrams: Buffer[],
  accept: (type: number) => boolean,
  onMessage: (buf: Buffer, off: number, len: number, type: number, flags: number) => void,
): void {
  for (const d of datagrams) {
    forEachMessage(d, (off, len, type, flags) => {
      if (type === NLMSG.ERROR) {
        const errno = -d.readInt32LE(off + NLMSG_HDRLEN);
        if (errno) throw new NetlinkError(errno);
        return;
      }
      if (!isControl(type) && accept(type)) onMessage(d, off, len, type, flags);
    });
  }
}

const isExpectAnswer = (type: number): boolean => type >> 8 === NFNL_SUBSYS.CTNETLINK_EXP && type !== EXP_STATS_CPU;

/**
 * The expectation operations are the library's own (ExpectOperations), over a transport that records each request
 * in `sent` and answers it with the captured expectation messages (or the captured error). Events are the
 * captured datagrams, handed to the subscriber as the receiver process would, once it has started.
 */
export class ReplayClient extends ExpectOperations implements CtClient {
  /** the dump options of each request, for assertions */
  readonly requests: DumpOptions[] = [];
  /** the netlink requests the expectation operations sent, as built (declarative attribute trees) */
  readonly sent: NfRequest[];
  /** the event subscriptions asked for */
  readonly subscriptions: EventSubscription[] = [];

  constructor(private readonly datagrams: Buffer[]) {
    const sent: NfRequest[] = [];
    const transport: Requester = {
      async request(req, onMessage) {
        sent.push(req);
        replay(datagrams, isExpectAnswer, (b, o, l, type, flags) => void onMessage?.(b, o, l, type, flags));
      },
    };
    super(transport);
    this.sent = sent;
  }

  private replay(accept: (type: number) => boolean, onMessage: (buf: Buffer, off: number, len: number) => void): void {
    replay(this.datagrams, accept, onMessage);
  }

  events(sub: EventSubscription, handlers: EventStreamHandlers): EventSource {
    this.subscriptions.push(sub);
    let stopped = false;
    const deliver = (): void => {
      if (stopped) return;
      handlers.ready?.(sub.bufferSize || 212992);
      try {
        for (const d of this.datagrams) {
          forEachMessage(d, (off, len, type, flags, _seq, pid) => {
            if (type >= 0x10 && !stopped) handlers.message(d, off, len, type, flags, pid, undefined);
          });
          if (!stopped) handlers.batchEnd?.();
        }
      } catch (e) {
        stopped = true;
        if (!handlers.threw) throw e;
        handlers.threw(e);
      }
    };
    return {
      start: () => setImmediate(deliver),
      stop: () => {
        stopped = true;
      },
    };
  }

  async dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void> {
    this.requests.push(opts);
    this.replay((type) => !STATS_ANSWERS.has(type), onMessage);
  }
  async globalStats(): Promise<GlobalStats> {
    let g: GlobalStats = {};
    this.replay(
      (type) => type === CT_STATS,
      (b, o, l) => (g = decodeGlobalStats(b, o, l)),
    );
    return g;
  }
  async count(): Promise<number | undefined> {
    return (await this.globalStats()).entries;
  }
  // the conntrack table's writes: these fixtures hold no answers to them (the scripted transport's captures do)
  queryRaw(): Promise<void> {
    return Promise.reject(new Error('ReplayClient: no captured answer to a lookup'));
  }
  create(): Promise<void> {
    return Promise.reject(new Error('ReplayClient: no captured answer to a create'));
  }
  flush(): Promise<void> {
    return Promise.reject(new Error('ReplayClient: no captured answer to a flush'));
  }
  batch(): Batch {
    throw new Error('ReplayClient: no captured answers to a batch');
  }
  async stats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    this.replay(
      (type) => type === CT_STATS_CPU,
      (b, o, l) => out.push(decodeCpuStats(b, o, l)),
    );
    return out;
  }
  async expectCpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    this.replay(
      (type) => type === EXP_STATS_CPU,
      (b, o, l) => out.push(decodeCpuStats(b, o, l)),
    );
    return out;
  }
  close(): void {}
}
