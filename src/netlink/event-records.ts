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
