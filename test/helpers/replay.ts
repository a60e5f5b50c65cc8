// A CtClient that answers from datagrams captured from the real kernel (fixtures/kernel/*.hex), so fixture
// tests run the real command code without privileges.

import { readFileSync } from 'node:fs';
import type { CtClient, DumpOptions, RawFlowHandler } from '../../src/ctnetlink/client.js';
import { decodeCpuStats, decodeGlobalStats } from '../../src/ctnetlink/decode.js';
import type { CpuStats, GlobalStats } from '../../src/ctnetlink/model.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { NLMSG, NLMSG_HDRLEN } from '../../src/netlink/constants.js';
import { NetlinkError } from '../../src/netlink/socket.js';

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

  private replay(onMessage: (buf: Buffer, off: number, len: number) => void): void {
    for (const d of this.datagrams) {
      forEachMessage(d, (off, len, type) => {
        if (type === NLMSG.ERROR) {
          const errno = -d.readInt32LE(off + NLMSG_HDRLEN);
          if (errno) throw new NetlinkError(errno);
          return;
        }
        if (type < 0x10) return;
        onMessage(d, off, len);
      });
    }
  }

  async dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void> {
    this.requests.push(opts);
    this.replay(onMessage);
  }
  async globalStats(): Promise<GlobalStats> {
    let g: GlobalStats = {};
    this.replay((b, o, l) => (g = decodeGlobalStats(b, o, l)));
    return g;
  }
  async count(): Promise<number | undefined> {
    return (await this.globalStats()).entries;
  }
  async cpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    this.replay((b, o, l) => out.push(decodeCpuStats(b, o, l)));
    return out;
  }
  async expectCpuStats(): Promise<CpuStats[]> {
    return this.cpuStats();
  }
  close(): void {}
}
