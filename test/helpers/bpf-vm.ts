// A classic BPF interpreter with the kernel's semantics for what socket filters on netlink use (net/core/filter.c):
// packet loads are big-endian and end the program with 0 when out of bounds, SKF_AD_NLATTR / SKF_AD_NLATTR_NEST
// are nla_find() from offset A / inside the attribute at A for type X (types masked with NLA_TYPE_MASK). Lets the
// event filter's programs run on captured messages without root.

import { BPF, BPF_MEMWORDS, SKF_AD, SKF_AD_OFF, type SockFilter } from '../../src/netlink/bpf.js';

const NLA_TYPE_MASK = 0x3fff;
const NLA_ALIGN = (n: number): number => (n + 3) & ~3;

/** nla_find(head, len, type): the offset of the first attribute of that type in [at, at+len), or 0. */
function nlaFind(p: Buffer, at: number, len: number, type: number): number {
  let rem = len;
  let a = at;
  while (rem >= 4) {
    const alen = p.readUInt16LE(a);
    if (alen < 4 || alen > rem) return 0;
    if ((p.readUInt16LE(a + 2) & NLA_TYPE_MASK) === type) return a;
    rem -= NLA_ALIGN(alen);
    a += NLA_ALIGN(alen);
  }
  return 0;
}

function nlattr(p: Buffer, a: number, x: number): number {
  if (p.length < 4 || a > p.length - 4) return 0;
  return nlaFind(p, a, p.length - a, x);
}

function nlattrNest(p: Buffer, a: number, x: number): number {
  if (p.length < 4 || a > p.length - 4) return 0;
  const nlen = p.readUInt16LE(a);
  if (nlen > p.length - a) return 0;
  return nlaFind(p, a + 4, nlen - 4, x);
}

/** Runs the program on one message: what the filter returns (0: dropped). */
export function runBpf(prog: readonly SockFilter[], p: Buffer): number {
  let A = 0;
  let X = 0;
  const M = new Uint32Array(BPF_MEMWORDS);
  const load = (off: number, size: number): number | undefined => {
    const n = size === BPF.W ? 4 : size === BPF.H ? 2 : 1;
    if (off < 0 || off + n > p.length) return undefined;
    return n === 4 ? p.readUInt32BE(off) : n === 2 ? p.readUInt16BE(off) : p[off];
  };
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc];
    const cls = code & 0x07;
    switch (cls) {
      case BPF.LD: {
        const mode = code & 0xe0;
        const size = code & 0x18;
        if (mode === BPF.IMM) A = k;
        else if (mode === BPF.MEM) A = M[k];
        else if (mode === BPF.LEN) A = p.length;
        else if (mode === BPF.ABS && (k | 0) < 0) {
          const ad = (k | 0) - SKF_AD_OFF;
          if (ad === SKF_AD.NLATTR) A = nlattr(p, A, X);
          else if (ad === SKF_AD.NLATTR_NEST) A = nlattrNest(p, A, X);
          else throw new Error(`ancillary load ${ad} not emulated`);
        } else {
          const v = load(mode === BPF.ABS ? k : X + (k | 0), size);
          if (v === undefined) return 0;
          A = v;
        }
        break;
      }
      case BPF.LDX:
        if ((code & 0xe0) === BPF.IMM) X = k;
        else if ((code & 0xe0) === BPF.MEM) X = M[k];
        else throw new Error(`LDX mode ${code} not emulated`);
        break;
      case BPF.ST:
        M[k] = A;
        break;
      case BPF.STX:
        M[k] = X;
        break;
      case BPF.ALU: {
        const v = code & BPF.X ? X : k;
        switch (code & 0xf0) {
          case BPF.AND:
            A = (A & v) >>> 0;
            break;
          case BPF.OR:
            A = (A | v) >>> 0;
            break;
          case BPF.ADD:
            A = (A + v) >>> 0;
            break;
          case BPF.RSH:
            A = A >>> v;
            break;
          default:
            throw new Error(`ALU op ${code} not emulated`);
        }
        break;
      }
      case BPF.JMP: {
        const op = code & 0xf0;
        if (op === BPF.JA) {
          pc += k;
          break;
        }
        const v = code & BPF.X ? X : k;
        const holds = op === BPF.JEQ ? A === v : op === BPF.JGT ? A > v : op === BPF.JGE ? A >= v : (A & v) !== 0;
        pc += holds ? jt : jf;
        break;
      }
      case BPF.RET:
        return (code & 0x18) === BPF.A ? A : k;
      case BPF.MISC:
        if ((code & 0xf8) === BPF.TAX) X = A;
        else A = X;
        break;
    }
  }
  throw new Error('BPF program fell off its end');
}
