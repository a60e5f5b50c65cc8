// conntrack's command and option bits (include/conntrack.h, src/conntrack.c), and the command/option matrix.

export { CMD, CMD_BIT, NUMBER_OF_CMD } from '../commands/command-bits.js';
import { CMD, NUMBER_OF_CMD } from '../commands/command-bits.js';

/** CT_EVENT_F_* (conntrack.c): the event kinds -e selects */
export const CT_EVENT_F = { NEW: 1, UPD: 2, DEL: 4, ALL: 7 } as const;

/** enum ct_options */
export const OPT = {
  ORIG_SRC: 1 << 0,
  ORIG_DST: 1 << 1,
  REPL_SRC: 1 << 2,
  REPL_DST: 1 << 3,
  PROTO: 1 << 4,
  TIMEOUT: 1 << 5,
  STATUS: 1 << 6,
  ZERO: 1 << 7,
  EVENT_MASK: 1 << 8,
  EXP_SRC: 1 << 9,
  EXP_DST: 1 << 10,
  MASK_SRC: 1 << 11,
  MASK_DST: 1 << 12,
  NATRANGE: 1 << 13,
  MARK: 1 << 14,
  ID: 1 << 15,
  FAMILY: 1 << 16,
  SRC_NAT: 1 << 17,
  DST_NAT: 1 << 18,
  OUTPUT: 1 << 19,
  SECMARK: 1 << 20,
  BUFFERSIZE: 1 << 21,
  ANY_NAT: 1 << 22,
  ZONE: 1 << 23,
  LABEL: 1 << 24,
  ADD_LABEL: 1 << 25,
  DEL_LABEL: 1 << 26,
  ORIG_ZONE: 1 << 27,
  REPL_ZONE: 1 << 28,
} as const;
export const NUMBER_OF_OPT = 29;
export const OPT_ORIG = OPT.ORIG_SRC | OPT.ORIG_DST;
export const OPT_REPL = OPT.REPL_SRC | OPT.REPL_DST;

/** CT_COMPARISON: options that make -L/-D/-E compare entries against the template (nfct_cmp). */
export const CT_COMPARISON =
  OPT.PROTO | OPT_ORIG | OPT_REPL | OPT.MARK | OPT.SECMARK | OPT.STATUS | OPT.ID | OPT.ZONE | OPT.LABEL | OPT.ORIG_ZONE | OPT.REPL_ZONE;

/** optflags[]: the option names used in matrix messages. */
export const OPTFLAGS = [
  'src',
  'dst',
  'reply-src',
  'reply-dst',
  'protonum',
  'timeout',
  'status',
  'zero',
  'event-mask',
  'tuple-src',
  'tuple-dst',
  'mask-src',
  'mask-dst',
  'nat-range',
  'mark',
  'id',
  'family',
  'src-nat',
  'dst-nat',
  'output',
  'secmark',
  'buffer-size',
  'any-nat',
  'zone',
  'label',
  'label-add',
  'label-del',
  'orig-zone',
  'reply-zone',
] as const;

/**
 * commands_v_options: 0 illegal, 1 mandatory, 2 optional, 3 address-pair rule. Rows by command bit; the row
 * past the last command (no command given) is what the 1.4.7 binary reads past the end of its table: zeroes,
 * but a non-zero byte for --reply-zone (so `conntrack --reply-zone 1` prints the usage, exit 0).
 */
// prettier-ignore
export const COMMANDS_V_OPTIONS: readonly (readonly number[])[] = [
  /*              s d r q p t u z e [ ] { } a m i f n g o c b j w l < > ( ) */
  /* CT_LIST    */ [2, 2, 2, 2, 2, 0, 2, 2, 0, 0, 0, 2, 2, 0, 2, 0, 2, 2, 2, 2, 2, 0, 2, 2, 2, 0, 0, 2, 2],
  /* CT_CREATE  */ [3, 3, 3, 3, 1, 1, 2, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 0, 0, 2, 0, 2, 0, 2, 2],
  /* CT_UPDATE  */ [2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 0, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 0, 0],
  /* CT_DELETE  */ [2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 0, 2, 2, 2, 2, 2, 2, 0, 0, 0, 2, 2, 0, 0, 2, 2],
  /* CT_GET     */ [3, 3, 3, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0],
  /* CT_FLUSH   */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* CT_EVENT   */ [2, 2, 2, 2, 2, 0, 0, 0, 2, 0, 0, 2, 2, 0, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 2, 2],
  /* CT_VERSION */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* CT_HELP    */ [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_LIST   */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_CREATE */ [1, 1, 2, 2, 1, 1, 2, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_DELETE */ [1, 1, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_GET    */ [1, 1, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_FLUSH  */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_EVENT  */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* CT_COUNT   */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_COUNT  */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* CT_STATS   */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* EXP_STATS  */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* CT_ADD     */ [3, 3, 3, 3, 1, 1, 2, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 0, 0, 2, 0, 2, 0, 2, 2],
  /* (none)     */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
];

/** cmd2type: command character → [conntrack-table command, expect-table command] (0 = not on that table). */
export const CMD2TYPE: Record<string, [number, number]> = {
  L: [CMD.CT_LIST, CMD.EXP_LIST],
  I: [CMD.CT_CREATE, CMD.EXP_CREATE],
  D: [CMD.CT_DELETE, CMD.EXP_DELETE],
  G: [CMD.CT_GET, CMD.EXP_GET],
  F: [CMD.CT_FLUSH, CMD.EXP_FLUSH],
  E: [CMD.CT_EVENT, CMD.EXP_EVENT],
  V: [CMD.CT_VERSION, CMD.CT_VERSION],
  h: [CMD.CT_HELP, CMD.CT_HELP],
  C: [CMD.CT_COUNT, CMD.EXP_COUNT],
  S: [CMD.CT_STATS, CMD.EXP_STATS],
  U: [CMD.CT_UPDATE, 0],
  A: [CMD.CT_ADD, 0],
};

/** bit2cmd(): index of the lowest set bit, NUMBER_OF_CMD when none. */
export function bit2cmd(command: number): number {
  for (let i = 0; i < NUMBER_OF_CMD; i++) if (command & (1 << i)) return i;
  return NUMBER_OF_CMD;
}

/** exit_msg[]: the summary line printed on stderr after a command, by command bit index. */
export const EXIT_MSG: Partial<Record<number, string>> = {
  0: '%d flow entries have been shown.\n',
  1: '%d flow entries have been created.\n',
  2: '%d flow entries have been updated.\n',
  3: '%d flow entries have been deleted.\n',
  4: '%d flow entries have been shown.\n',
  6: '%d flow events have been shown.\n',
  9: '%d expectations have been shown.\n',
  11: '%d expectations have been shown.\n',
  19: '%d flow entries have been added.\n',
};

/** The summary -E prints when a signal ends it (conntrack's event_sighandler / exp_event_sighandler). */
export const EVENT_EXIT_MSG: Partial<Record<number, string>> = {
  6: '%d flow events have been shown.\n',
  14: '%d expectation events have been shown.\n',
};

/** Output mask bits (_O_*). */
export const OUT = { XML: 1, EXT: 2, TMS: 4, ID: 8, KTMS: 16, CL: 32, SAVE: 64, JSON: 128 } as const;

export const TABLE = { CONNTRACK: 0, EXPECT: 1, DYING: 2, UNCONFIRMED: 3 } as const;
