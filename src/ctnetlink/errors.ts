// The typed failures of the client's operations, for the layers above it: a NetlinkError carries the kernel's
// errno (and the operation that failed); ERRNO names them, strerror gives glibc's text.

export { NetlinkError } from '../netlink/socket/nfnl-socket.js';
export { ERRNO, strerror } from '../netlink/errno.js';
