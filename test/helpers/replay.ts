// A CtClient that answers from datagrams captured from the real kernel (fixtures/kernel/*.hex), so fixture
// tests run the real command code without privileges.

import { readFileSync } from 'node:fs';
import type { CtClient, DumpOptions, RawFlowHandler } from '../../src/ctnetlink/client.js';
import { decodeCpuStats, decodeGlobalStats } from '../../src/ctnetlink/decode.js';
import type { CpuStats, GlobalStats } from '../../src/ctnetlink/model.js';
import { forEachMessage, isControl } from '../../src/netlink/framing.js';
import { NFNL_SUBSYS, NLMSG, NLMSG_HDRLEN } from '../../src/netlink/constants.js';
import { IPCTNL_MSG_CT, IPCTNL_MSG_EXP } from '../../src/ctnetlink/constants.js';
import { NetlinkError } from '../../src/netlink/socket.js';

const CT_STATS = (NFNL_SUBSYS.CTNETLINK << 8) | IPCTNL_MSG_CT.GET_STATS;
const CT_STATS_CPU = (NFNL_SUBSYS.CTNETLINK << 8) | IPCTNL_MSG_CT.GET_STATS_CPU;
const EXP_STATS_CPU = (NFNL_SUBSYS.CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP.GET_STATS_CPU;
/** answers to the stats requests, never entries of a dump */
const STATS_ANSWERS = new Set([CT_STATS, CT_STATS_CPU, EXP_STATS_CPU]);

/** Reads a .hex fixture: one datagram per line, '#' lines are comments. */
export function readDatagrams(path: string): Buffer[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => Buffer.from(l.trim(), 'hex'));
}

export class ReplayClient implements CtClient {
  /** the dump options of each request, for assertions */
  readonly requests: DumpOptions[] = [];
  constructor(private readonly datagrams: Buffer[]) {}

  /**
   * Hands each request the captured answers of its kind only: a capture of -L also holds the
   * IPCTNL_MSG_CT_GET_STATS answer that the client asks for before dumping (DumpOptions.threaded 'auto').
   * Errors answer every request.
   */
  private replay(accept: (type: number) => boolean, onMessage: (buf: Buffer, off: number, len: number) => void): void {
    for (const d of this.datagrams) {
      forEachMessage(d, (off, len, type) => {
        if (type === NLMSG.ERROR) {
          const errno = -d.readInt32LE(off + NLMSG_HDRLEN);
          if (errno) throw new NetlinkError(errno);
          return;
        }
        if (!isControl(type) && accept(type)) onMessage(d, off, len);
      });
    }
  }

  async dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void> {
    this.requests.push(opts);
    this.replay((type) => !STATS_ANSWERS.has(type), onMessage);
  }
  async globalStats(): Promise<GlobalStats> {
    let g: GlobalStats = {};
    this.replay((type) => type === CT_STATS, (b, o, l) => (g = decodeGlobalStats(b, o, l)));
    return g;
  }
  async count(): Promise<number | undefined> {
    return (await this.globalStats()).entries;
  }
  async cpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    this.replay((type) => type === CT_STATS_CPU, (b, o, l) => out.push(decodeCpuStats(b, o, l)));
    return out;
  }
  async expectCpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    this.replay((type) => type === EXP_STATS_CPU, (b, o, l) => out.push(decodeCpuStats(b, o, l)));
    return out;
  }
  close(): void {}
}
