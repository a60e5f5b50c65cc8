// GNU getopt_long, as glibc implements it (posix/getopt.c), because conntrack's argv handling depends on its
// details: unique prefixes of long options, permutation of non-options, optional arguments that only attach
// ("-Lexpect", "--dump=expect"), a leading ':' in the option string for missing-argument reports, and optind
// positions that conntrack reads back (get_optional_arg, and argv[optind-1] in its error messages).

export interface LongOption {
  name: string;
  /** 0 no argument, 1 required, 2 optional */
  hasArg: 0 | 1 | 2;
  val: number;
}

export class Getopt {
  optind = 0;
  optarg: string | null = null;
  optopt = 0;
  private nextchar: string | null = null;
  private firstNonopt = 1;
  private lastNonopt = 1;
  private initialized = false;

  constructor(
    /** argv including argv[0]; permuted in place, as glibc does */
    readonly argv: string[],
    private readonly optstring: string,
    public longopts: LongOption[],
  ) {}

  private exchange(): void {
    const argv = this.argv;
    let bottom = this.firstNonopt;
    const middle = this.lastNonopt;
    let top = this.optind;
    while (top > middle && middle > bottom) {
      if (top - middle > middle - bottom) {
        const len = middle - bottom;
        for (let i = 0; i < len; i++) {
          const tem = argv[bottom + i];
          argv[bottom + i] = argv[top - (middle - bottom) + i];
          argv[top - (middle - bottom) + i] = tem;
        }
        top -= len;
      } else {
        const len = top - middle;
        for (let i = 0; i < len; i++) {
          const tem = argv[bottom + i];
          argv[bottom + i] = argv[middle + i];
          argv[middle + i] = tem;
        }
        bottom += len;
      }
    }
    this.firstNonopt += this.optind - this.lastNonopt;
    this.lastNonopt = this.optind;
  }

  private nonOption(i: number): boolean {
    const a = this.argv[i];
    return a[0] !== '-' || a.length === 1;
  }

  /** Returns the next option character/value, '?' / ':' on errors, or -1 at the end. */
  next(): number {
    const argv = this.argv;
    const argc = argv.length;
    if (argc < 1) return -1;
    this.optarg = null;
    if (this.optind === 0 || !this.initialized) {
      if (this.optind === 0) this.optind = 1;
      this.firstNonopt = this.lastNonopt = this.optind;
      this.nextchar = null;
      this.initialized = true;
    }
    if (this.nextchar === null || this.nextchar === '') {
      if (this.lastNonopt > this.optind) this.lastNonopt = this.optind;
      if (this.firstNonopt > this.optind) this.firstNonopt = this.optind;
      // PERMUTE ordering
      if (this.firstNonopt !== this.lastNonopt && this.lastNonopt !== this.optind) this.exchange();
      else if (this.lastNonopt !== this.optind) this.firstNonopt = this.optind;
      while (this.optind < argc && this.nonOption(this.optind)) this.optind++;
      this.lastNonopt = this.optind;

      if (this.optind !== argc && argv[this.optind] === '--') {
        this.optind++;
        if (this.firstNonopt !== this.lastNonopt && this.lastNonopt !== this.optind) this.exchange();
        else if (this.firstNonopt === this.lastNonopt) this.firstNonopt = this.optind;
        this.lastNonopt = argc;
        this.optind = argc;
      }
      if (this.optind === argc) {
        if (this.firstNonopt !== this.lastNonopt) this.optind = this.firstNonopt;
        return -1;
      }
      if (this.nonOption(this.optind)) {
        // only with REQUIRE_ORDER / RETURN_IN_ORDER; unreachable with PERMUTE
        this.optarg = argv[this.optind++];
        return 1;
      }
      if (argv[this.optind][1] === '-') {
        this.nextchar = argv[this.optind].slice(2);
        return this.longOption();
      }
      this.nextchar = argv[this.optind].slice(1);
    }

    const c = this.nextchar![0];
    this.nextchar = this.nextchar!.slice(1);
    const idx = this.optstring.indexOf(c);
    if (this.nextchar === '') this.optind++;
    if (idx < 0 || c === ':' || c === ';') {
      this.optopt = c.charCodeAt(0);
      return '?'.charCodeAt(0);
    }
    if (this.optstring[idx + 1] === ':') {
      if (this.optstring[idx + 2] === ':') {
        if (this.nextchar !== '') {
          this.optarg = this.nextchar;
          this.optind++;
        } else this.optarg = null;
        this.nextchar = null;
      } else {
        if (this.nextchar !== '') {
          this.optarg = this.nextchar;
          this.optind++;
        } else if (this.optind === argc) {
          this.optopt = c.charCodeAt(0);
          this.nextchar = null;
          return (this.optstring[0] === ':' ? ':' : '?').charCodeAt(0);
        } else this.optarg = argv[this.optind++];
        this.nextchar = null;
      }
    }
    return c.charCodeAt(0);
  }

  private longOption(): number {
    const argv = this.argv;
    const argc = argv.length;
    const text = this.nextchar!;
    const eq = text.indexOf('=');
    const name = eq >= 0 ? text.slice(0, eq) : text;
    let found: LongOption | undefined = exactOption(this.longopts, name);
    if (!found) {
      let ambiguous = false;
      for (const o of this.longopts) {
        if (!o.name.startsWith(name)) continue;
        if (!found) found = o;
        else if (found.hasArg !== o.hasArg || found.val !== o.val) ambiguous = true;
      }
      if (ambiguous) {
        this.nextchar = '';
        this.optind++;
        this.optopt = 0;
        return '?'.charCodeAt(0);
      }
    }
    if (!found) {
      this.nextchar = null;
      this.optind++;
      this.optopt = 0;
      return '?'.charCodeAt(0);
    }
    this.optind++;
    this.nextchar = null;
    if (eq >= 0) {
      if (found.hasArg) this.optarg = text.slice(eq + 1);
      else {
        this.optopt = found.val;
        return '?'.charCodeAt(0);
      }
    } else if (found.hasArg === 1) {
      if (this.optind < argc) this.optarg = argv[this.optind++];
      else {
        this.optopt = found.val;
        return (this.optstring[0] === ':' ? ':' : '?').charCodeAt(0);
      }
    }
    return found.val;
  }
}

/**
 * Each long option table's options by exact name (the first of a name, as a search in order finds it), built once
 * per table: the tables are built once and memoised (cli/parse.ts mergedOptions), and a -R file of many -D or -U
 * lines looks up --sport and --dport on every line.
 */
const byName = new WeakMap<readonly LongOption[], Map<string, LongOption>>();
function exactOption(opts: readonly LongOption[], name: string): LongOption | undefined {
  let m = byName.get(opts);
  if (!m) {
    m = new Map();
    for (const o of opts) if (!m.has(o.name)) m.set(o.name, o);
    byName.set(opts, m);
  }
  return m.get(name);
}
