// The kernel-side event filter (filter/bpf.ts) run on every captured conntrack message and on mutated copies of
// them, by an interpreter with the kernel's semantics (test/helpers/bpf-vm.ts): it never drops an event the
// userspace filter of -E keeps, and on the captured messages it drops exactly what the userspace filter skips
// for the queries it can decide.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse.js';
import { resolveRequest } from '../../src/cli/resolve.js';
import { FlowDecoder } from '../../src/ctnetlink/decode.js';
import type { Flow } from '../../src/ctnetlink/model.js';
import { compileEventFilter, eventFilterDecidesAll } from '../../src/filter/bpf.js';
import type { FlowQuery } from '../../src/filter/query.js';
import { compileFilter } from '../../src/filter/userspace.js';
import { BPF, BpfAssembler, decodeProgram, encodeProgram, NEXT } from '../../src/netlink/bpf.js';
import { NFNL_SUBSYS } from '../../src/netlink/constants.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { runBpf } from '../helpers/bpf-vm.js';
import { flipPayloadBytes, rng, seeds } from '../helpers/fuzz.js';

const FIXTURES = join(__dirname, '../../fixtures');

/** Every conntrack message of the captures, each in a buffer of its own (one event is one message). */
function capturedMessages(): Buffer[] {
  const out: Buffer[] = [];
  for (const d of seeds(FIXTURES)) {
    forEachMessage(d, (off, len, type) => {
      if (type >> 8 === NFNL_SUBSYS.CTNETLINK && (type & 0xff) === 0 /* IPCTNL_MSG_CT_NEW */)
        out.push(Buffer.from(d.subarray(off, off + len)));
    });
  }
  return out;
}

/** Copies with a few payload bytes changed: other ports, addresses, protocols, marks, states. */
const mutated = (msgs: Buffer[], count: number): Buffer[] => flipPayloadBytes(msgs, count, rng(0x16));

const queryOf = (line: string): FlowQuery => {
  const req = resolveRequest(parseArgs(['conntrack', '-E', ...line.split(' ').filter(Boolean)], {}));
  if (req.kind !== 'events') throw new Error(`not an events request: ${line}`);
  return req.query;
};

const decoder = new FlowDecoder();
/** What -E does with the message after it arrives: true when it prints it (commands/events.ts). */
function userspaceKeeps(q: FlowQuery, m: Buffer): boolean | undefined {
  let flow: Flow;
  try {
    flow = decoder.decode(m, 0, m.length);
  } catch {
    return undefined; // a mutation the decoder refuses: nothing to compare
  }
  if (q.family !== 0 && q.family !== flow.family) return false;
  const skip = compileFilter(q);
  return !(skip && skip(flow));
}

/** Queries whose every part the program decides: on well-formed events it keeps exactly what userspace keeps. */
const DECIDED = [
  '-p tcp',
  '-p udp',
  '-p icmp',
  '-p tcp --dport 443',
  '-p tcp --sport 22 --dport 80',
  '-p udp --dport 53',
  '-f ipv6',
  '-f ipv4 -p tcp',
  '-s 10.200.1.2',
  '-d 10.200.2.2',
  '-s ::1',
  '-s 10.0.0.0/8',
  '-d 10.200.0.0/16 -p tcp',
  '-s 2001:db8::/32',
  '--reply-src 10.200.2.2',
  '--reply-dst 10.200.1.2 -p tcp',
  '-m 1',
  '-m 0x10/0xf0',
  '--zone 0',
  '--zone 7',
  '-p tcp --state ESTABLISHED',
  '-p tcp --state TIME_WAIT',
  '-p tcp --reply-port-src 80',
];
/** Queries with parts left to userspace (NAT, labels, ICMP fields): the program only has to be sound. */
const PARTLY = ['--src-nat', '-p tcp --dst-nat', '-j -s 10.200.1.2', '-p icmp --icmp-type 8', '-p tcp -g --dport 80'];

describe('the kernel-side event filter', () => {
  const captured = capturedMessages();
  const fuzzed = mutated(captured, 4000);

  it('has captured messages to run on', () => {
    expect(captured.length).toBeGreaterThan(20);
  });

  it('is not built when nothing is filtered', () => {
    expect(compileEventFilter(queryOf(''))).toBeUndefined();
    expect(compileEventFilter(queryOf('-e NEW'))).toBeUndefined();
  });

  it('says it decides everything of exactly the queries it decides (those are read in the listener itself)', () => {
    expect(DECIDED.filter((line) => !eventFilterDecidesAll(queryOf(line)))).toEqual([]);
    expect(PARTLY.filter((line) => eventFilterDecidesAll(queryOf(line)))).toEqual([]);
    expect(['', '-e NEW', '-p icmp --icmp-id 5'].filter((line) => eventFilterDecidesAll(queryOf(line)))).toEqual([]);
  });

  for (const line of DECIDED) {
    it(`-E ${line}: drops exactly what userspace skips on the captured messages`, () => {
      const q = queryOf(line);
      const prog = compileEventFilter(q);
      expect(prog).toBeDefined();
      const wrong: string[] = [];
      captured.forEach((m, i) => {
        const keeps = userspaceKeeps(q, m);
        const passes = runBpf(prog!, m) !== 0;
        if (keeps !== undefined && keeps !== passes) wrong.push(`message ${i}: userspace ${keeps}, filter ${passes}`);
      });
      expect(wrong).toEqual([]);
    });
  }

  for (const line of [...DECIDED, ...PARTLY]) {
    it(`-E ${line}: never drops an event that userspace keeps, on mutated messages`, () => {
      const q = queryOf(line);
      const prog = compileEventFilter(q);
      if (!prog) return;
      const lost: number[] = [];
      fuzzed.forEach((m, i) => {
        if (runBpf(prog, m) === 0 && userspaceKeeps(q, m) === true) lost.push(i);
      });
      expect(lost).toEqual([]);
    });
  }

  it('drops some and keeps some of the captured messages for a port query', () => {
    const prog = compileEventFilter(queryOf('-p tcp'))!;
    const passed = captured.filter((m) => runBpf(prog, m) !== 0).length;
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThan(captured.length);
  });
});

describe('the BPF assembler', () => {
  it('resolves forward labels to relative jumps and encodes struct sock_filter', () => {
    const a = new BpfAssembler();
    a.stmt(BPF.LD | BPF.B | BPF.ABS, 16);
    a.jump(BPF.JEQ | BPF.K, 2, NEXT, 'no');
    a.stmt(BPF.RET | BPF.K, 0xffffffff);
    a.label('no');
    a.stmt(BPF.RET | BPF.K, 0);
    const p = a.assemble();
    expect(p[1]).toEqual({ code: BPF.JMP | BPF.JEQ, jt: 0, jf: 1, k: 2 });
    const bytes = encodeProgram(p);
    expect(bytes.length).toBe(32);
    expect(bytes.subarray(8, 16).toString('hex')).toBe('1500000102000000');
    expect(decodeProgram(bytes)).toEqual(p);
  });

  it('puts the offset of an unconditional jump in k', () => {
    const a = new BpfAssembler()
      .goto('end')
      .stmt(BPF.RET | BPF.K, 1)
      .stmt(BPF.RET | BPF.K, 2)
      .label('end')
      .stmt(BPF.RET | BPF.K, 3);
    const p = a.assemble();
    expect(p[0]).toEqual({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: 2 });
    expect(runBpf(p, Buffer.alloc(20))).toBe(3);
  });

  it('refuses a jump backwards, a label never placed or placed twice', () => {
    const back = new BpfAssembler().label('x').stmt(BPF.LD | BPF.IMM, 0);
    back.jump(BPF.JEQ, 0, 'x', 'x');
    expect(() => back.assemble()).toThrow(/out of range/);
    expect(() => new BpfAssembler().goto('y').assemble()).toThrow(/never placed/);
    expect(() => new BpfAssembler().label('z').label('z')).toThrow(/twice/);
  });
});
