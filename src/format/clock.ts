// Time for formatters, injected so that output is reproducible: "now" (time(NULL)) and local broken-down time
// (localtime_r in the process's TZ, which Node's Date honours).

export interface BrokenDownTime {
  year: number;
  /** 0..11 */
  month: number;
  /** 1..31 */
  mday: number;
  hour: number;
  min: number;
  sec: number;
  /** 0 = Sunday */
  wday: number;
}

export interface Clock {
  /** seconds since the epoch, as time(NULL) */
  now(): number;
  /** now with microseconds, as gettimeofday() */
  nowMicros(): { sec: number; usec: number };
  local(epochSeconds: number): BrokenDownTime;
}

export function localTime(epochSeconds: number): BrokenDownTime {
  const d = new Date(epochSeconds * 1000);
  return {
    year: d.getFullYear(),
    month: d.getMonth(),
    mday: d.getDate(),
    hour: d.getHours(),
    min: d.getMinutes(),
    sec: d.getSeconds(),
    wday: d.getDay(),
  };
}

export const systemClock: Clock = {
  now: () => Math.floor(Date.now() / 1000),
  nowMicros: () => {
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    return { sec: Math.floor(us / 1e6), usec: us % 1e6 };
  },
  local: localTime,
};

/** A clock frozen at a given second, for fixtures and tests. */
export function fixedClock(epochSeconds: number, usec = 0): Clock {
  return { now: () => epochSeconds, nowMicros: () => ({ sec: epochSeconds, usec }), local: localTime };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

/** ctime() without its trailing newline: "%.3s %.3s%3d %.2d:%.2d:%.2d %d". */
export function ctime(clock: Clock, epochSeconds: number): string {
  const t = clock.local(epochSeconds);
  const mday = t.mday < 10 ? ' ' + t.mday : String(t.mday);
  return `${DAYS[t.wday]} ${MONTHS[t.month]} ${mday} ${pad2(t.hour)}:${pad2(t.min)}:${pad2(t.sec)} ${t.year}`;
}
