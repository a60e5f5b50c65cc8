// Classic BPF, the socket filter language (linux/filter.h, linux/bpf_common.h): instructions, an assembler with
// named jump targets, and the struct sock_filter array SO_ATTACH_FILTER takes. On a netlink socket the program
// sees each message as it is queued for the socket; the ancillary loads SKF_AD_NLATTR and SKF_AD_NLATTR_NEST
// find an attribute by type (nla_find), so a program does not depend on the order of attributes.

/** linux/bpf_common.h: instruction classes, sizes, modes, operations and sources, by their header names */
export const BPF = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  W: 0x00,
  H: 0x08,
  B: 0x10,
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  LEN: 0x80,
  MSH: 0xa0,
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  K: 0x00,
  X: 0x08,
  /** linux/filter.h BPF_A: RET returns the accumulator */
  A: 0x10,
  /** linux/filter.h: MISC operations */
  TAX: 0x00,
  TXA: 0x80,
} as const;

/** BPF_MEMWORDS: the scratch memory M[0..15] */
export const BPF_MEMWORDS = 16;
/** BPF_MAXINSNS */
export const BPF_MAXINSNS = 4096;
/** SKF_AD_OFF: loads at this offset and above are ancillary data, not packet bytes */
export const SKF_AD_OFF = -0x1000;
/** SKF_AD_*: the ancillary loads used here */
export const SKF_AD = {
  /** A = offset of the attribute of type X found from offset A on (0: none) */
  NLATTR: 12,
  /** A = offset of the attribute of type X inside the nested attribute at offset A (0: none) */
  NLATTR_NEST: 16,
} as const;
/** struct sock_filter: u16 code, u8 jt, u8 jf, u32 k */
export const SOCK_FILTER_LEN = 8;

/** struct sock_filter */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: a label placed with `label()`, or NEXT for the instruction after the jump. */
export type Target = string | typeof NEXT;
export const NEXT = Symbol('next');

interface Pending {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
  /** BPF_JA: the target, which goes into k */
  to?: Target;
}

/** Builds a program; conditional jumps name their targets, which must come later (BPF jumps only forward). */
export class BpfAssembler {
  private readonly insns: Pending[] = [];
  private readonly labels = new Map<string, number>();
  private serial = 0;

  /** an instruction that does not jump */
  stmt(code: number, k = 0): this {
    this.insns.push({ code, k: k >>> 0, jt: NEXT, jf: NEXT });
    return this;
  }

  /** a conditional jump: to `jt` when the test holds, else to `jf` */
  jump(code: number, k: number, jt: Target, jf: Target): this {
    if ((code & 0xf0) === BPF.JA) throw new Error('BPF_JA takes goto()');
    this.insns.push({ code: BPF.JMP | code, k: k >>> 0, jt, jf });
    return this;
  }

  /** an unconditional jump (BPF_JA, whose offset is k) */
  goto(to: Target): this {
    this.insns.push({ code: BPF.JMP | BPF.JA, k: 0, jt: NEXT, jf: NEXT, to });
    return this;
  }

  /** names the position of the next instruction */
  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`BPF label ${name} placed twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  /** a fresh label name */
  newLabel(prefix: string): string {
    return `${prefix}#${this.serial++}`;
  }

  get length(): number {
    return this.insns.length;
  }

  assemble(): SockFilter[] {
    if (this.insns.length > BPF_MAXINSNS) throw new Error(`BPF program of ${this.insns.length} instructions`);
    return this.insns.map((insn, i) => ({
      code: insn.code,
      k: insn.to === undefined ? insn.k : this.offset(insn.to, i, 0xffffffff),
      jt: this.offset(insn.jt, i),
      jf: this.offset(insn.jf, i),
    }));
  }

  private offset(t: Target, at: number, max = 0xff): number {
    if (t === NEXT) return 0;
    const to = this.labels.get(t);
    if (to === undefined) throw new Error(`BPF label ${t} never placed`);
    const d = to - at - 1;
    if (d < 0 || d > max) throw new Error(`BPF jump to ${t} out of range (${d})`);
    return d;
  }
}

/** The program as the array of struct sock_filter that struct sock_fprog points at (host byte order). */
export function encodeProgram(p: readonly SockFilter[]): Buffer {
  const b = Buffer.alloc(p.length * SOCK_FILTER_LEN);
  p.forEach((insn, i) => {
    const o = i * SOCK_FILTER_LEN;
    b.writeUInt16LE(insn.code, o);
    b.writeUInt8(insn.jt, o + 2);
    b.writeUInt8(insn.jf, o + 3);
    b.writeUInt32LE(insn.k >>> 0, o + 4);
  });
  return b;
}

export function decodeProgram(b: Uint8Array): SockFilter[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const p: SockFilter[] = [];
  for (let o = 0; o + SOCK_FILTER_LEN <= buf.length; o += SOCK_FILTER_LEN) {
    p.push({ code: buf.readUInt16LE(o), jt: buf[o + 2], jf: buf[o + 3], k: buf.readUInt32LE(o + 4) });
  }
  return p;
}
