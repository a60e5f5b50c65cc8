// -E [conntrack]: the live event stream (conntrack.c CT_EVENT / event_cb). The events come from an
// EventStream (a receiver child process that survives socket overruns, see ctnetlink/event-stream.ts); this
// process decodes, filters and prints, so receiving and formatting run in parallel.

import { otherProblem } from './errors.js';
import { OutputClosed } from '../format/sink.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { errnoText, flowEventKind } from '../ctnetlink/event-stream.js';
import { compileFilter } from '../filter/userspace.js';
import { compileEventFilter, eventFilterDecidesAll } from '../filter/bpf.js';
import { FlowFormat, formatFlowDefault } from '../format/default.js';
import type { Clock } from '../format/clock.js';
import { flowJson } from '../format/json.js';
import { formatFlowSave } from '../format/save.js';
import { formatFlowXml, XML_FOOTER, XML_HEADER } from '../format/xml.js';
import { decodeExpect, expectMessageKind } from '../ctnetlink/expect.js';
import { EXPECT_XML_FOOTER, EXPECT_XML_HEADER, expectEventTimestamp, formatExpectDefault, formatExpectXml } from '../format/expect.js';
import type { CommandContext, CommandResult } from './context.js';
import type { EventsRequest } from './request.js';

export const ENOBUFS_WARNING =
  'WARNING: We have hit ENOBUFS! We are losing events.\n' +
  'This message means that the current netlink socket buffer size is too small.\n' +
  'Please, check --buffer-size in conntrack(8) manpage.\n';

/** What -E needs from the process: signals to stop on. */
export interface EventProcess {
  onStop(handler: () => void): void;
}

/** "[%-.8ld.%-.6ld]\t": seconds zero-padded to 8 digits, microseconds to 6. */
export function eventTimestamp(sec: number, usec: number): string {
  return `[${String(sec).padStart(8, '0')}.${String(usec).padStart(6, '0')}]\t`;
}

/** The current time as -o timestamp prints it before an event. */
function timestampNow(clock: Clock): string {
  const t = clock.nowMicros();
  return eventTimestamp(t.sec, t.usec);
}

/** What ends an event's line: the sender's port and name for an event a process's request caused (event_cb). */
function userspaceSuffix(pid: number, prog: string | undefined): string {
  if (pid === 0) return '\n';
  return prog !== undefined ? ` [USERSPACE] portid=${pid} progname=${prog}\n` : ` [USERSPACE] portid=${pid}\n`;
}

/**
 * Whether the events of `req` are read in this process: its socket filter decides every event by itself, so only
 * what can match reaches the socket and no receiver process is needed (ctnetlink/event-stream.ts).
 */
export function readInProcess(req: EventsRequest): boolean {
  return req.table !== 'expect' && req.kernelFilter !== false && req.inProcess !== false && eventFilterDecidesAll(req.query);
}

export function events(req: EventsRequest, ctx: CommandContext, proc: EventProcess): Promise<CommandResult> {
  const { output, query } = req;
  const skip = compileFilter(query);
  const decoder = new FlowDecoder();
  const fmt: FlowFormat = {
    extended: output.extended,
    id: output.id,
    ktimestamp: output.ktimestamp,
    labels: output.labelmap,
  };
  const out = ctx.out;
  let counter = 0;
  let xmlHeaderDone = false;
  let flushScheduled = false;
  let stopping = false;
  let stopStream = (): void => {};
  let noticePrinted = false;

  return new Promise<CommandResult>((resolve, reject) => {
    const fail = (e: unknown): void => {
      if (stopping) return;
      stopping = true;
      stopStream();
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

    const printEvent = (
      buf: Buffer,
      off: number,
      len: number,
      type: number,
      flags: number,
      pid: number,
      prog: string | undefined,
    ): void => {
      const kind = flowEventKind(type, flags);
      const flow = decoder.decode(buf, off, len);
      if (query.family !== 0 && query.family !== flow.family) return;
      if (skip && skip(flow)) return;
      if (output.format === 'json') {
        // one object per line; -o timestamp and -o userspace become keys instead of text around the line
        const o = flowJson(flow, kind, output.labelmap);
        if (output.timestamp) {
          const t = ctx.clock.nowMicros();
          o.time = `${t.sec}.${String(t.usec).padStart(6, '0')}`;
        }
        if (pid !== 0) {
          o.portid = pid;
          if (prog !== undefined) o.progname = prog;
        }
        out.write(JSON.stringify(o) + '\n');
        counter++;
        return;
      }
      if (output.format === 'save') {
        const r = formatFlowSave(flow, kind);
        if (r.warning) ctx.err(r.warning);
        out.write(r.line);
      } else if (output.format === 'xml') {
        if (!xmlHeaderDone) {
          xmlHeaderDone = true;
          out.write(XML_HEADER);
        }
        out.write(formatFlowXml(flow, kind, { ...fmt, time: output.timestamp }, ctx.clock));
      } else {
        // the line is built as a string and written at once: an event stream is a few lines per wakeup, run in
        // V8's interpreter and baseline code (cli/tiering.ts), where a string concatenation is one builtin call
        // and a byte-wise write into the sink's buffer a loop of them; measured on the bench's 1% burst (1000
        // events through the formatter alone), 6.6 ms as strings, 15-25 ms into the byte sink; and no slower
        // optimized (100k events: 266-277 ms against 327-396 ms)
        const ts = output.timestamp ? timestampNow(ctx.clock) : '';
        out.write(ts + formatFlowDefault(flow, kind, fmt, ctx.clock) + userspaceSuffix(pid, prog));
        counter++;
        return;
      }
      out.write(userspaceSuffix(pid, prog));
      counter++;
    };

    /** event_exp_cb(): no filters and no [USERSPACE] suffix; the space-padded timestamp. */
    const printExpectEvent = (buf: Buffer, off: number, len: number, type: number, flags: number): void => {
      const e = decodeExpect(buf, off, len);
      const kind = expectMessageKind(type, flags);
      if (output.format === 'xml') {
        if (!xmlHeaderDone) {
          xmlHeaderDone = true;
          out.write(EXPECT_XML_HEADER);
        }
        out.write(formatExpectXml(e, kind, { time: output.timestamp }, ctx.clock) + '\n');
      } else {
        if (output.timestamp) {
          const t = ctx.clock.nowMicros();
          out.write(expectEventTimestamp(t.sec, t.usec));
        }
        out.write(formatExpectDefault(e, kind) + '\n');
      }
      counter++;
    };
    const expectTable = req.table === 'expect';

    // what the kernel can decide of the filter it decides, before the events are queued (filter/bpf.ts)
    const kernelFilter = expectTable || req.kernelFilter === false ? undefined : compileEventFilter(query);
    // conntrack events name the process behind their port (event_cb); expectation events do not
    const stream = ctx.client.events(
      {
        table: req.table,
        events: req.events,
        bufferSize: req.bufferSize,
        programNames: !expectTable,
        kernelFilter,
        // then what passes is read in this process (ctnetlink/event-stream.ts)
        kernelFilterDecidesAll: kernelFilter !== undefined && readInProcess(req) ? true : undefined,
      },
      {
        message: (buf, off, len, type, flags, pid, prog) => {
          if (expectTable) printExpectEvent(buf, off, len, type, flags);
          else printEvent(buf, off, len, type, flags, pid, prog);
        },
        batchEnd: () => {
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        },
        ready: (size) => {
          if (req.bufferSize !== undefined && !noticePrinted) {
            noticePrinted = true;
            ctx.err(`NOTICE: Netlink socket buffer size has been set to ${size} bytes.\n`);
          }
        },
        loss: () => {
          out.flush();
          ctx.err(ENOBUFS_WARNING);
        },
        failed: (kind, errno) => {
          if (kind === 'receive') fail(otherProblem(`failed to received netlink event: ${errnoText(errno)}`));
          // -E expect opens its socket through libnetfilter_conntrack's nfct_open(), which says nothing more
          else if (expectTable) fail(otherProblem("Can't open handler"));
          else {
            ctx.err(`mnl_socket_bind: ${errnoText(errno)}\n`);
            fail(otherProblem("Can't open netlink socket"));
          }
        },
        threw: fail,
      },
    );
    stopStream = () => stream.stop();
    stream.start();

    proc.onStop(() => {
      if (stopping) return;
      stopping = true;
      stopStream();
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
