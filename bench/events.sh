#!/usr/bin/env bash
# Event throughput (npm run bench:events): a bounded burst (load N entries with conntrack -R, then flush, so
# 2N events) while each tool listens alone, with its default buffer and with -b 8388608; events received vs
# expected and whether ENOBUFS was reported. Then a paced stream (20k events, 100 every 10 ms) for CPU time per
# event. Then `-E -p tcp --dport 443` during the burst with 1% of the events matching: the listener's CPU time
# during the burst (its process and children, from /proc, start-up excluded) and in all (start-up included).
# Runs in a private network namespace it creates and removes.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_EVENTS:-50000}
REF=${REF:-/usr/sbin/conntrack}
OURS=${OURS:-"node $repo/bin/conntrack"}
# BENCH_EVENTS_ONLY: a bash regex on the case names burst, paced, match1 (default: all); BENCH_EVENTS_RUNS: rounds
# of the match1 case (ref then ours in each)
ONLY=${BENCH_EVENTS_ONLY:-}
MATCH_RUNS=${BENCH_EVENTS_RUNS:-1}
want_case() { [[ -z $ONLY || $1 =~ $ONLY ]]; }
[[ $EUID -eq 0 ]] || { echo "bench/events.sh: must run as root" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
NS=ctbenchev-$$
TMP=$(mktemp -d /tmp/ctbenchev.XXXXXX)
cleanup() { pkill -KILL -f "ctbenchev-listen-$$" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
ip netns add "$NS"
node "$repo/bench/gen.mjs" "$N" > "$TMP/burst.txt"
node "$repo/bench/gen.mjs" 20000 --range extra > "$TMP/paced.txt"
# the burst with one in ten of its port-443 entries kept on 443: 1% of the events match -p tcp --dport 443
awk '/--dport 443 / { if (n++ % 10) sub(/--dport 443 /, "--dport 4443 ") } 1' "$TMP/burst.txt" > "$TMP/match1.txt"

listen() { # TOOL ARGS... ; writes $TMP/out, $TMP/err, $TMP/cpu
  ip netns exec "$NS" bash -c "exec -a ctbenchev-listen-$$ /usr/bin/time -f '%U %S' -o $TMP/cpu $* > $TMP/out 2> $TMP/err" &
  LPID=$!
  sleep 1.5
}
stop() { pkill -INT -f "$1" 2>/dev/null || true; wait "$LPID" 2>/dev/null || true; }
# utime + stime of a process and all its descendants, in clock ticks
tree_ticks() {
  local p=$1 t c
  t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do t=$((t + $(tree_ticks "$c"))); done
  echo "$t"
}
hz=$(getconf CLK_TCK)

printf '%-6s %-22s %10s %10s %8s %s\n' tool case received expected percent enobufs
for tool in ref ours; do
  cmd=$([[ $tool == ref ]] && echo "$REF" || echo "$OURS")
  pat=$([[ $tool == ref ]] && echo "^$REF -E" || echo "bin/conntrack -E")
  for buf in "" "-b 8388608"; do
    want_case burst || continue
    ip netns exec "$NS" "$REF" -F 2>/dev/null || true
    listen "$cmd -E $buf"
    ip netns exec "$NS" "$REF" -R "$TMP/burst.txt"
    ip netns exec "$NS" "$REF" -F 2>/dev/null
    sleep 3
    stop "$pat"
    got=$(grep -c . "$TMP/out" || true)
    warn=$(grep -c 'ENOBUFS' "$TMP/err" || true)
    printf '%-6s %-22s %10d %10d %7.1f%% %s\n' "$tool" "burst${buf:+ $buf}" "$got" $((2 * N)) "$(echo "100 * $got / (2 * $N)" | bc -l)" "$warn"
  done
  # paced: 100 entries every 10 ms (NEW events), CPU per event
  want_case paced || continue
  ip netns exec "$NS" "$REF" -F 2>/dev/null || true
  listen "$cmd -E -e NEW"
  split -l 100 "$TMP/paced.txt" "$TMP/chunk."
  for f in "$TMP"/chunk.*; do ip netns exec "$NS" "$REF" -R "$f"; sleep 0.01; done
  sleep 2
  # CPU of the listener's whole process tree (ours: the CLI and its receiver process), read from /proc before the
  # stop: /usr/bin/time counts only the children a process reaped, and a CLI that exits without waiting for its
  # receiver had that process's CPU left out (a build ending in process.exit() measured 0.6 s where its tree used 1.1)
  cpu=$(echo "$(tree_ticks "$LPID") / $hz" | bc -l)
  stop "$pat"
  rm -f "$TMP"/chunk.*
  got=$(grep -c . "$TMP/out" || true)
  printf '%-6s %-22s %10d %10d   cpu %.3f s = %.1f us/event\n' "$tool" "paced 100/10ms" "$got" 20000 "$cpu" "$(echo "$cpu * 1000000 / ($got + 0.0001)" | bc -l)"
done

# -E -p tcp --dport 443 during the burst in which 1% of the events match: CPU time of the listener (its process
# and children, utime + stime from /proc) during the burst, and from its start
want=$((2 * $(grep -c -- '--dport 443 ' "$TMP/match1.txt")))
want_case match1 || exit 0
for ((round = 0; round < MATCH_RUNS; round++)); do for tool in ref ours; do
  cmd=$([[ $tool == ref ]] && echo "$REF" || echo "$OURS")
  ip netns exec "$NS" "$REF" -F 2>/dev/null || true
  ip netns exec "$NS" $cmd -E -p tcp --dport 443 > "$TMP/out" 2> "$TMP/err" &
  LPID=$!
  sleep 1.5
  t0=$(tree_ticks $LPID)
  ip netns exec "$NS" "$REF" -R "$TMP/match1.txt"
  ip netns exec "$NS" "$REF" -F 2>/dev/null
  sleep 3
  t1=$(tree_ticks $LPID)
  kill -INT $LPID 2>/dev/null || true
  wait "$LPID" 2>/dev/null || true
  got=$(grep -c . "$TMP/out" || true)
  printf '%-6s %-22s %10d %10d   cpu in burst %.3f s, from start %.3f s\n' "$tool" "burst, 1% match" "$got" "$want" \
    "$(echo "($t1 - $t0) / $hz" | bc -l)" "$(echo "$t1 / $hz" | bc -l)"
done; done
