// Errors that end a command the way conntrack's exit_error() does: "conntrack v1.4.7 (conntrack-tools): MSG",
// plus the "Try ..." line and exit 2 for parameter problems, exit 1 otherwise.

export const PROGNAME = 'conntrack';
export const VERSION = '1.4.7';
export const MESSAGE_PREFIX = `${PROGNAME} v${VERSION} (conntrack-tools): `;
export const TRY_HELP = `Try \`${PROGNAME} -h' or '${PROGNAME} --help' for more information.\n`;

/** enum exittype */
export const EXIT = { OK: 0, OTHER_PROBLEM: 1, PARAMETER_PROBLEM: 2 } as const;

export class CtError extends Error {
  /** stderr text emitted before the error (warnings printed while parsing) */
  notes = '';
  constructor(
    readonly kind: 'parameter' | 'other',
    message: string,
  ) {
    super(message);
    this.name = 'CtError';
  }

  get exitCode(): number {
    return this.kind === 'parameter' ? EXIT.PARAMETER_PROBLEM : EXIT.OTHER_PROBLEM;
  }

  /** The stderr text conntrack prints for this error. */
  render(): string {
    return this.notes + MESSAGE_PREFIX + this.message + '\n' + (this.kind === 'parameter' ? TRY_HELP : '');
  }
}

export const parameterProblem = (msg: string): CtError => new CtError('parameter', msg);
export const otherProblem = (msg: string): CtError => new CtError('other', msg);

/** err2str(): conntrack's own wording for some (command, errno) pairs, else strerror. */
export function err2str(errno: number, command: number, strerror: (n: number) => string): string {
  const CT_LIST = 1 << 0, CT_CREATE = 1 << 1, CT_GET = 1 << 4, CT_DELETE = 1 << 3, CT_ADD = 1 << 19, EXP_CREATE = 1 << 10;
  const table: Array<[number, number, string]> = [
    [CT_LIST, 524, 'function not implemented'],
    [0xffff, 22, 'invalid parameters'],
    [CT_CREATE, 17, 'Such conntrack exists, try -U to update'],
    [CT_CREATE | CT_GET | CT_DELETE | CT_ADD, 2, "such conntrack doesn't exist"],
    [CT_CREATE | CT_GET | CT_ADD, 12, 'not enough memory'],
    [CT_GET, 97, 'protocol not supported'],
    [CT_CREATE | CT_ADD, 62, 'conntrack has expired'],
    [EXP_CREATE, 2, 'master conntrack not found'],
    [EXP_CREATE, 22, 'invalid parameters'],
    [0xffffffff, 1, 'sorry, you must be root or get CAP_NET_ADMIN capability to do this'],
  ];
  for (const [act, err, msg] of table) if ((act & command) !== 0 && err === errno) return msg;
  return strerror(errno);
}
