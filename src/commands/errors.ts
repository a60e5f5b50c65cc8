// Errors that end a command the way conntrack's exit_error() does: "conntrack v1.4.7 (conntrack-tools): MSG",
// plus the "Try ..." line and exit 2 for parameter problems, exit 1 otherwise.

import { CMD } from './command-bits.js';
import { ERRNO } from '../ctnetlink/errors.js';

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
  const { CT_LIST, CT_CREATE, CT_GET, CT_DELETE, CT_ADD, EXP_CREATE } = CMD;
  const table: Array<[number, number, string]> = [
    [CT_LIST, ERRNO.ENOTSUPP, 'function not implemented'],
    [0xffff, ERRNO.EINVAL, 'invalid parameters'],
    [CT_CREATE, ERRNO.EEXIST, 'Such conntrack exists, try -U to update'],
    [CT_CREATE | CT_GET | CT_DELETE | CT_ADD, ERRNO.ENOENT, "such conntrack doesn't exist"],
    [CT_CREATE | CT_GET | CT_ADD, ERRNO.ENOMEM, 'not enough memory'],
    [CT_GET, ERRNO.EAFNOSUPPORT, 'protocol not supported'],
    [CT_CREATE | CT_ADD, ERRNO.ETIME, 'conntrack has expired'],
    [EXP_CREATE, ERRNO.ENOENT, 'master conntrack not found'],
    [EXP_CREATE, ERRNO.EINVAL, 'invalid parameters'],
    [0xffffffff, ERRNO.EPERM, 'sorry, you must be root or get CAP_NET_ADMIN capability to do this'],
  ];
  for (const [act, err, msg] of table) if ((act & command) !== 0 && err === errno) return msg;
  return strerror(errno);
}
