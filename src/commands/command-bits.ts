// conntrack's commands as it numbers them (enum ct_command, include/conntrack.h): the command line's matrices are
// indexed by the bits, and conntrack's error wording (err2str) is chosen by them.

/** enum ct_command bit indexes (include/conntrack.h); the command matrices are indexed by these. */
export const CMD_BIT = {
  CT_LIST: 0,
  CT_CREATE: 1,
  CT_UPDATE: 2,
  CT_DELETE: 3,
  CT_GET: 4,
  CT_FLUSH: 5,
  CT_EVENT: 6,
  CT_VERSION: 7,
  CT_HELP: 8,
  EXP_LIST: 9,
  EXP_CREATE: 10,
  EXP_DELETE: 11,
  EXP_GET: 12,
  EXP_FLUSH: 13,
  EXP_EVENT: 14,
  CT_COUNT: 15,
  EXP_COUNT: 16,
  CT_STATS: 17,
  EXP_STATS: 18,
  CT_ADD: 19,
} as const;
/** NUMBER_OF_CMD (_CT_BIT_MAX) */
export const NUMBER_OF_CMD = 20;

/** enum ct_command as bits (CT_LIST = 1 << CT_LIST_BIT, ...): a command is one bit, sets of commands are masks. */
export const CMD = Object.fromEntries(Object.entries(CMD_BIT).map(([name, bit]) => [name, 1 << bit])) as {
  readonly [K in keyof typeof CMD_BIT]: number;
};
