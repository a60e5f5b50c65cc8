// -E [conntrack]: the live event stream (conntrack.c CT_EVENT / event_cb).
//
// The events are received by a small child process (event-receiver.ts), not here. The netlink package's
// addon cannot survive an overrun of a multicast socket (the kernel flags the socket with ENOBUFS, epoll
// reports EPOLLERR, and the addon aborts while building the error), and an event socket overruns whenever
// events come faster than they are read. A receiver that dies that way is restarted, and the loss is reported
// with conntrack's ENOBUFS warning: the stream goes on, as conntrack's does. Meanwhile this process decodes,
// filters and prints, so receiving and formatting run in parallel.

import { spawn, ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ParsedCommand } from '../cli/parse.js';
import { CMD, OPT, OUT } from '../cli/commands.js';
import { otherProblem } from '../cli/errors.js';
import { OutputClosed } from '../cli/output.js';
import { IPCTNL_MSG_CT } from '../ctnetlink/constants.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import type { MessageKind } from '../ctnetlink/model.js';
import { compileFilter } from '../filter/userspace.js';
import { FlowFormat, writeFlowDefault } from '../format/default.js';
import { flowJson } from '../format/json.js';
import { formatFlowSave } from '../format/save.js';
import { formatFlowXml, XML_FOOTER, XML_HEADER } from '../format/xml.js';
import { decodeExpect, expectMessageKind } from '../ctnetlink/expect.js';
import { EXPECT_XML_FOOTER, EXPECT_XML_HEADER, expectEventTimestamp, formatExpectDefault, formatExpectXml } from '../format/expect.js';
import { NFNLGRP, NLM_F } from '../netlink/constants.js';
import { ERRNO, strerror } from '../netlink/errno.js';
import { forEachMessage } from '../netlink/framing.js';
import { CONTROL, RECORD_CONTROL } from '../netlink/event-records.js';
import type { CommandContext, CommandResult } from './context.js';
import { ProgramNames } from './progname.js';

export const ENOBUFS_WARNING =
  'WARNING: We have hit ENOBUFS! We are losing events.\n' +
  'This message means that the current netlink socket buffer size is too small.\n' +
  'Please, check --buffer-size in conntrack(8) manpage.\n';

/** What -E needs from the process: signals to stop on. */
export interface EventProcess {
  onStop(handler: () => void): void;
}

const CT_EVENT_F = { NEW: 1, UPD: 2, DEL: 4 } as const;

export function eventGroups(cmd: ParsedCommand): number[] {
  // -E expect takes no -e: all three expectation groups
  if (cmd.command === CMD.EXP_EVENT) return [NFNLGRP.CONNTRACK_EXP_NEW, NFNLGRP.CONNTRACK_EXP_UPDATE, NFNLGRP.CONNTRACK_EXP_DESTROY];
  const mask = cmd.options & OPT.EVENT_MASK ? cmd.eventMask : CT_EVENT_F.NEW | CT_EVENT_F.UPD | CT_EVENT_F.DEL;
  const groups: number[] = [];
  if (mask & CT_EVENT_F.NEW) groups.push(NFNLGRP.CONNTRACK_NEW);
  if (mask & CT_EVENT_F.UPD) groups.push(NFNLGRP.CONNTRACK_UPDATE);
  if (mask & CT_EVENT_F.DEL) groups.push(NFNLGRP.CONNTRACK_DESTROY);
  return groups;
}

/** "[%-.8ld.%-.6ld]\t": seconds zero-padded to 8 digits, microseconds to 6. */
export function eventTimestamp(sec: number, usec: number): string {
  return `[${String(sec).padStart(8, '0')}.${String(usec).padStart(6, '0')}]\t`;
}

export function events(cmd: ParsedCommand, ctx: CommandContext, proc: EventProcess): Promise<CommandResult> {
  const mask = cmd.outputMask;
  const skip = compileFilter(cmd);
  const decoder = new FlowDecoder();
  const names = new ProgramNames();
  const fmt: FlowFormat = {
    extended: (mask & OUT.EXT) !== 0,
    id: (mask & OUT.ID) !== 0,
    ktimestamp: (mask & OUT.KTMS) !== 0,
    labels: cmd.labelmap,
  };
  const out = ctx.out;
  let counter = 0;
  let xmlHeaderDone = false;
  let flushScheduled = false;
  let stopping = false;
  let child: ChildProcess | undefined;
  let noticePrinted = false;

  return new Promise<CommandResult>((resolve, reject) => {
    const fail = (e: unknown): void => {
      if (stopping) return;
      stopping = true;
      child?.kill('SIGKILL');
      reject(e);
    };
    const flush = (): void => {
      flushScheduled = false;
      try {
        out.flush();
      } catch (e) {
        fail(e);
      }
    };

    const printEvent = (buf: Buffer, off: number, len: number, type: number, flags: number, pid: number): void => {
      const msg = type & 0xff;
      const kind: MessageKind =
        msg === IPCTNL_MSG_CT.NEW ? (flags & NLM_F.CREATE ? 'new' : 'update') : msg === IPCTNL_MSG_CT.DELETE ? 'destroy' : 'unknown';
      const flow = decoder.decode(buf, off, len);
      if (cmd.family !== 0 && cmd.family !== flow.family) return;
      if (skip && skip(flow)) return;
      if (mask & OUT.JSON) {
        // one object per line; -o timestamp and -o userspace become keys instead of text around the line
        const o = flowJson(flow, kind, cmd.labelmap);
        if (mask & OUT.TMS) {
          const t = ctx.clock.nowMicros();
          o.time = `${t.sec}.${String(t.usec).padStart(6, '0')}`;
        }
        if (pid !== 0) {
          o.portid = pid;
          const prog = names.lookup(pid);
          if (prog !== undefined) o.progname = prog;
        }
        out.write(JSON.stringify(o) + '\n');
        counter++;
        return;
      }
      if (mask & OUT.SAVE) {
        const r = formatFlowSave(flow, kind);
        if (r.warning) ctx.err(r.warning);
        out.write(r.line);
      } else if (mask & OUT.XML) {
        if (!xmlHeaderDone) {
          xmlHeaderDone = true;
          out.write(XML_HEADER);
        }
        out.write(formatFlowXml(flow, kind, { ...fmt, time: (mask & OUT.TMS) !== 0 }, ctx.clock));
      } else {
        if (mask & OUT.TMS) {
          const t = ctx.clock.nowMicros();
          out.write(eventTimestamp(t.sec, t.usec));
        }
        writeFlowDefault(out, flow, kind, fmt, ctx.clock);
      }
      if (pid !== 0) {
        const prog = names.lookup(pid);
        out.write(prog !== undefined ? ` [USERSPACE] portid=${pid} progname=${prog}\n` : ` [USERSPACE] portid=${pid}\n`);
      } else out.write('\n');
      counter++;
    };

    /** event_exp_cb(): no filters and no [USERSPACE] suffix; the space-padded timestamp. */
    const printExpectEvent = (buf: Buffer, off: number, len: number, type: number, flags: number): void => {
      const e = decodeExpect(buf, off, len);
      const kind = expectMessageKind(type, flags);
      if (mask & OUT.XML) {
        if (!xmlHeaderDone) {
          xmlHeaderDone = true;
          out.write(EXPECT_XML_HEADER);
        }
        out.write(formatExpectXml(e, kind, { time: (mask & OUT.TMS) !== 0 }, ctx.clock) + '\n');
      } else {
        if (mask & OUT.TMS) {
          const t = ctx.clock.nowMicros();
          out.write(expectEventTimestamp(t.sec, t.usec));
        }
        out.write(formatExpectDefault(e, kind) + '\n');
      }
      counter++;
    };
    const expectTable = cmd.command === CMD.EXP_EVENT;

    const onDatagram = (d: Buffer): void => {
      forEachMessage(d, (off, len, type, flags, _seq, pid) => {
        if (type < 0x10) return;
        if (expectTable) printExpectEvent(d, off, len, type, flags);
        else printEvent(d, off, len, type, flags, pid);
      });
    };

    let pendingBytes = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      let data = pendingBytes.length ? Buffer.concat([pendingBytes, chunk]) : chunk;
      let off = 0;
      try {
        while (off + 4 <= data.length) {
          const len = data.readUInt32LE(off);
          if (len === RECORD_CONTROL) {
            if (off + 12 > data.length) break;
            const kind = data.readUInt32LE(off + 4);
            const value = data.readUInt32LE(off + 8);
            off += 12;
            if (kind === CONTROL.READY) {
              if (cmd.options & OPT.BUFFERSIZE && !noticePrinted) {
                noticePrinted = true;
                ctx.err(`NOTICE: Netlink socket buffer size has been set to ${value} bytes.\n`);
              }
            } else if (kind === CONTROL.ERROR) {
              if (value === ERRNO.ENOBUFS) {
                out.flush();
                ctx.err(ENOBUFS_WARNING);
              } else throw otherProblem(`failed to received netlink event: ${strerror(value)}`);
            } else if (kind === CONTROL.OPEN_FAILED) {
              // -E expect opens its socket through libnetfilter_conntrack's nfct_open(), which says nothing more
              if (cmd.command === CMD.EXP_EVENT) throw otherProblem("Can't open handler");
              ctx.err(`mnl_socket_bind: ${strerror(value)}\n`);
              throw otherProblem("Can't open netlink socket");
            }
            continue;
          }
          if (off + 4 + len > data.length) break;
          onDatagram(data.subarray(off + 4, off + 4 + len));
          off += 4 + len;
        }
      } catch (e) {
        fail(e);
        return;
      }
      pendingBytes = off < data.length ? Buffer.from(data.subarray(off)) : Buffer.alloc(0);
      data = pendingBytes;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    };

    const receiverPath = fileURLToPath(new URL('./event-receiver.js', import.meta.url));
    const bufferSize = cmd.options & OPT.BUFFERSIZE ? Number(BigInt.asUintN(31, cmd.socketBufferSize)) : 0;
    const start = (): void => {
      pendingBytes = Buffer.alloc(0);
      const c = spawn(process.execPath, [receiverPath, eventGroups(cmd).join(','), String(bufferSize)], { stdio: ['ignore', 'pipe', 'ignore'] });
      child = c;
      // the receiver must win the processor during a burst (what it does not read in time is lost, what this
      // process has not formatted yet only waits): let it run ahead of us
      try {
        if (c.pid !== undefined) setPriority(c.pid, Math.max(-20, getPriority(process.pid) - 5));
      } catch {
        try {
          setPriority(process.pid, Math.min(19, getPriority(process.pid) + 5));
        } catch {
          // no way to change priorities here: it still works, with more losses under bursts
        }
      }
      c.stdout!.on('data', onData);
      c.on('exit', (code, signal) => {
        if (stopping || child !== c) return;
        if (code === 1 && signal === null) return; // it reported why (OPEN_FAILED)
        // an overrun took the receiver down: events were lost, the stream goes on
        try {
          out.flush();
        } catch (e) {
          fail(e);
          return;
        }
        ctx.err(ENOBUFS_WARNING);
        start();
      });
    };
    start();

    proc.onStop(() => {
      if (stopping) return;
      stopping = true;
      child?.kill('SIGKILL');
      try {
        out.flush();
        if (xmlHeaderDone) out.write(expectTable ? EXPECT_XML_FOOTER : XML_FOOTER);
        out.flush();
      } catch (e) {
        if (!(e instanceof OutputClosed)) {
          reject(e);
          return;
        }
      }
      resolve({ counter });
    });
  });
}

