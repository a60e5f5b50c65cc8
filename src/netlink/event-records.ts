// The record format between the event receiver process and -E (see event-receiver.ts).

/** A record length of this value marks a control record: u32 kind, u32 value. */
export const RECORD_CONTROL = 0xffffffff;
export const CONTROL = {
  /** subscribed; value: the receive buffer size read back */
  READY: 1,
  /** recvmsg failed; value: errno (ENOBUFS: events were lost) */
  ERROR: 2,
  /** the socket could not be opened or joined; value: errno */
  OPEN_FAILED: 3,
} as const;

/**
 * A record length of this value marks a program record: u32 port id, u32 name length, the name (latin1; length
 * 0: no process holds that port). It comes before the datagrams sent from that port that it names, whenever the
 * port or its name differs from the previous program record's.
 */
export const RECORD_PROGRAM = 0xfffffffe;
/** A program name is a process's comm: at most 15 bytes (TASK_COMM_LEN 16, linux/sched.h); room to spare. */
export const MAX_PROGRAM_RECORD = 12 + 64;
