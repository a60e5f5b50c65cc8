#!/usr/bin/env bash
# Benchmark our conntrack clone against conntrack-tools 1.4.7 on big tables.
#
# Everything that touches the conntrack table happens inside a private network
# namespace (ctbench-<pid>) that this script creates and always deletes. The
# only change outside it is net.netfilter.nf_conntrack_max (global, read-only
# inside a netns), which is raised for the run and always put back.
#
# See bench/README.md. Env: BENCH_SIZES RUNS WARMUP OURS REF BASE BENCH_ALL
# BENCH_ONLY BENCH_JOBS BENCH_CT_MAX BENCH_OUT.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench="$repo/bench"

# ---------------------------------------------------------------------------
# Cases: "name|args|mode|opts", one line each. Appending a line adds a case.
#   args  arguments passed to both tools ({EXTRA} = a file of 100k more -I
#         lines whose tuples are disjoint from the table, for -R cases)
#   mode  null : stdout to /dev/null
#         wc   : stdout piped to `wc -l`; line counts of both tools must match
#         same : stdout captured; must be identical for both tools
#         tally: ours runs ARGS (a --tally src list); the reference runs the pipeline admins use,
#                conntrack -L | awk (the src= field) | sort | uniq -c | sort -nr; the counts must match
#   opts  comma list, may be empty:
#         fresh : table is flushed and reloaded before every timed run
#                 (for cases that change the table; reload is not timed)
#         node0 : also time `node -e 0` in the same interleaved loop
#         size=N : run only at table size N
CASES=(
  "list|-L|null|"
  "list-wc|-L|wc|"
  "list-extended|-L -o extended|null|"
  "count|-C|same|node0"
  "list-dport443|-L -p tcp --dport 443|wc|"
  "delete-half|-D -p udp|wc|fresh,size=100000"
  "load-100k|-R {EXTRA}|null|fresh,size=100000"
  "update-half|-U -f ipv4 -p udp -m 1|null|fresh,size=100000"
  "tally-src|-L --tally src|tally|"
)
# Extra cases, run only with BENCH_ALL=1 (move a line up to make it default).
OPTIONAL_CASES=(
  "load-100k-1m|-R {EXTRA}|null|fresh,size=1000000"
  # -D of half of 1M entries (issue 15): each round reloads the 1M-entry table (tens of seconds here), so run it
  # alone with few runs: BENCH_ALL=1 BENCH_SIZES=1000000 BENCH_ONLY='^delete-half-1m$' RUNS=3
  "delete-half-1m|-D -p udp|wc|fresh,size=1000000"
  # -R of many -D lines (issue 15): ours answers a run from one dump, 1.4.7 dumps once per line
  "rdel-100-20k|-R {DELETES:100}|null|fresh,size=20000"
  "delete-one|-D -s 10.1.0.7|null|fresh,size=100000"
  "rdel-1000-100k|-R {DELETES:1000}|null|fresh,size=100000"
  # -R of many -U lines: one dump for the run, the reference one per line. 1.4.7's -U reads its answers out of step
  # (lines go missing; here its -R fails with "Operation failed: Protocol error"): run this case with REF=1.4.8
  "rupd-100-20k|-R {UPDATES:100}|null|fresh,size=20000"
)
# Cases on a small table (the first BENCH_SMALL lines of the table file, 10 by default; 0: none), run before the
# large sizes, each with `node -e 0` in the same loop: the fixed cost of a command (issue 15: <= node -e 0 + 15 ms).
# On a small table the kernel's -L and -F still walk the whole conntrack hash, shared by every namespace: what other
# namespaces hold shows in both tools' times.
SMALL_CASES=(
  "small-count|-C|same|node0"
  "small-list|-L|wc|node0"
  "small-get|-G -s 10.1.0.1 -d 10.187.35.15 -p udp --sport 1025 --dport 53|wc|node0"
  "small-insert|-I -s 10.250.0.1 -d 10.250.0.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 60|same|fresh,node0"
  "small-flush|-F|same|fresh,node0"
)
# ---------------------------------------------------------------------------

BENCH_SIZES=${BENCH_SIZES:-"100000 1000000"}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
OURS=${OURS:-"$repo/bin/conntrack"}
REF=${REF:-/usr/sbin/conntrack}
# BASE: an A/B run. The timed "ref" side runs this command (e.g. an older build of ours) with the same
# arguments and mode as ours, tally included; REF still loads, flushes and counts the table.
BASE=${BASE:-}
BENCH_ALL=${BENCH_ALL:-0}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_JOBS=${BENCH_JOBS:-$(nproc)}
BENCH_OUT=${BENCH_OUT:-"$bench/results"}
BENCH_SMALL=${BENCH_SMALL:-10}
BENCH_PHASES=${BENCH_PHASES:-1}
EXTRA_SIZE=100000

die() { echo "bench: $*" >&2; exit 1; }
isint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ===========================================================================
# Inner part: runs inside the private netns (re-exec of this script).
# ===========================================================================
inner() {
  : "${CTB_NS:?}" "${CTB_TMP:?}" "${CTB_INIT_NETNS:?}"
  local here; here=$(readlink /proc/self/ns/net)
  [[ -n $here && $here != "$CTB_INIT_NETNS" ]] ||
    die "refusing to run: not inside a private network namespace"
  [[ "net:[$(stat -L -c %i "/run/netns/$CTB_NS")]" == "$here" ]] ||
    die "refusing to run: not inside netns $CTB_NS"

  TIME=/usr/bin/time
  TF="$CTB_TMP/time.out" OF="$CTB_TMP/stdout" EF="$CTB_TMP/stderr"
  SAMPLES="$CTB_TMP/samples.tsv" CASEF="$CTB_TMP/cases.tsv" SIZEF="$CTB_TMP/sizes.tsv"
  : >"$SAMPLES"; : >"$CASEF"; : >"$SIZEF"
  read -r -a REF_CMD <<<"$REF"
  read -r -a OURS_CMD <<<"$OURS"
  read -r -a CMP_CMD <<<"${BASE:-$REF}"
  BASE_FILE="$CTB_TMP/base.txt" EXTRA_FILE="$CTB_TMP/extra.txt"
  TABLE_N=0 FAILS=0

  local -a cases=("${CASES[@]}")
  [[ $BENCH_ALL == 1 ]] && cases+=("${OPTIONAL_CASES[@]}")
  if [[ -n $BENCH_ONLY ]]; then
    local -a sel=() c
    for c in "${cases[@]}"; do [[ ${c%%|*} =~ $BENCH_ONLY ]] && sel+=("$c"); done
    cases=("${sel[@]}")
  fi
  select_small
  ((${#cases[@]} + ${#SMALL_SEL[@]})) || die "no case selected (BENCH_ONLY=$BENCH_ONLY)"

  local sizes max=0 s
  sizes=$(tr ' ' '\n' <<<"$BENCH_SIZES" | grep . | sort -n | uniq | tr '\n' ' ')
  for s in $sizes; do (( s > max )) && max=$s; done
  ((${#SMALL_SEL[@]} && BENCH_SMALL > max)) && max=$BENCH_SMALL

  # harness overhead: `true` through the same wrapper
  local i
  for ((i = 0; i < 5; i++)); do run_one true0 null; echo "$WALL_US"; done |
    sort -n | sed -n 3p >"$CTB_TMP/overhead_us"

  echo "== generating $max entries"
  local t0=$EPOCHREALTIME
  node "$bench/gen.mjs" "$max" >"$BASE_FILE"
  echo "   $(wc -l <"$BASE_FILE") lines in $(elapsed "$t0") s"

  # smoke test: both tools must at least count an empty table
  local tool
  for tool in ref ours; do
    run_one "$tool" same -C
    ((RC == 0)) || die "$tool (${tool^^}=$( [[ $tool == ref ]] && echo "${BASE:-$REF}" || echo "$OURS")) -C failed rc=$RC: $(head -c 400 "$EF")"
  done

  small_table
  ((${#cases[@]})) || sizes=""
  for s in $sizes; do
    echo "== table size $s"
    measure_node0 "$s"
    t0=$EPOCHREALTIME
    local before=$TABLE_N
    load_table "$s"
    local pop; pop=$(elapsed "$t0")
    local loaded=$((s > before ? s - before : s))
    printf '%s\t%s\t%s\n' "$s" "$pop" "$loaded" >>"$SIZEF"
    echo "   loaded $loaded entries in $pop s (${BENCH_JOBS} parallel conntrack -R), -C = $(ct_count)"
    local c
    for c in "${cases[@]}"; do measure_case "$s" "$c"; done
  done
  echo "$FAILS" >"$CTB_TMP/fails"
}

elapsed() { # t0 -> seconds since, 3 decimals
  local us=$(( ${EPOCHREALTIME/./} - ${1/./} ))
  printf '%d.%03d' $((us / 1000000)) $(((us % 1000000) / 1000))
}

ct_count() { "${REF_CMD[@]}" -C; }

assert_in_netns() {
  [[ $(readlink /proc/self/ns/net) != "$CTB_INIT_NETNS" ]] || die "not in private netns"
}

# Load the first $1 lines of BASE_FILE into the table (table holds a prefix of
# BASE_FILE, TABLE_N lines long; grow it, or flush and reload).
load_table() {
  local want=$1 force=${2:-}
  assert_in_netns
  if [[ -n $force ]] || ((TABLE_N > want)); then
    "${REF_CMD[@]}" -F >/dev/null 2>&1 || true
    TABLE_N=0
    local n; n=$(ct_count)
    ((n == 0)) || die "table not empty after flush ($n)"
  fi
  if ((TABLE_N < want)); then
    local dir="$CTB_TMP/load"
    rm -rf "$dir"; mkdir -p "$dir"
    sed -n "$((TABLE_N + 1)),${want}p" "$BASE_FILE" >"$dir/all"
    split -n "l/$BENCH_JOBS" "$dir/all" "$dir/part."
    local -a pids=() f
    for f in "$dir"/part.*; do
      [[ -s $f ]] || continue
      "${REF_CMD[@]}" -R "$f" 2>"$f.err" &
      pids+=($!)
    done
    local p bad=0
    for p in "${pids[@]}"; do wait "$p" || bad=1; done
    ((bad == 0)) || die "conntrack -R failed: $(cat "$dir"/*.err | head -c 400)"
    rm -rf "$dir"
    TABLE_N=$want
  fi
  local n; n=$(ct_count)
  ((n == want)) || die "table has $n entries, expected $want"
}

# run_one TOOL MODE ARGS... -> WALL_US RSS_KB RC CHECK
run_one() {
  local tool=$1 mode=$2; shift 2
  local -a cmd
  case $tool in
    ref) cmd=("${CMP_CMD[@]}" "$@") ;;
    ours) cmd=("${OURS_CMD[@]}" "$@") ;;
    node0) cmd=(node -e 0) ;;
    true0) cmd=(true) ;;
  esac
  local t0 t1
  RC=0
  case $mode in
    null)
      t0=$EPOCHREALTIME
      $TIME -f %M -o "$TF" "${cmd[@]}" >/dev/null 2>"$EF" || RC=$?
      t1=$EPOCHREALTIME ;;
    wc)
      t0=$EPOCHREALTIME
      $TIME -f %M -o "$TF" "${cmd[@]}" 2>"$EF" | wc -l >"$OF" || RC=$?
      t1=$EPOCHREALTIME ;;
    same)
      t0=$EPOCHREALTIME
      $TIME -f %M -o "$TF" "${cmd[@]}" >"$OF" 2>"$EF" || RC=$?
      t1=$EPOCHREALTIME ;;
    tally)
      if [[ $tool == ref && -z $BASE ]]; then
        t0=$EPOCHREALTIME
        { $TIME -f %M -o "$TF" "${REF_CMD[@]}" -L 2>"$EF" |
          LC_ALL=C awk '{ for (i = 1; i <= NF; i++) if (substr($i, 1, 4) == "src=") { print $i; break } }' |
          LC_ALL=C sort | uniq -c | LC_ALL=C sort -nr >"$OF"; } || RC=$?
        t1=$EPOCHREALTIME
      else
        t0=$EPOCHREALTIME
        $TIME -f %M -o "$TF" "${cmd[@]}" >"$OF" 2>"$EF" || RC=$?
        t1=$EPOCHREALTIME
      fi ;;
    *) die "unknown mode $mode" ;;
  esac
  WALL_US=$(( ${t1/./} - ${t0/./} ))
  RSS_KB=$(tail -n 1 "$TF" 2>/dev/null || true)
  isint "$RSS_KB" || RSS_KB=NA
  case $mode in
    null) CHECK=- ;;
    wc) CHECK=$(tr -d ' ' <"$OF") ;;
    same) CHECK=$(head -c 200 "$OF" | head -n 1 | tr '\t|' '  ') ;;
    tally) CHECK=$(awk '{ print $1, $2 }' "$OF" | LC_ALL=C sort | md5sum | cut -c1-12) ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END{if(NR==0){print "NA"} else if(NR%2){print a[(NR+1)/2]} else {print int((a[NR/2]+a[NR/2+1])/2)}}'; }

measure_case() {
  local size=$1 spec=$2
  local name args mode opts
  IFS='|' read -r name args mode opts <<<"$spec"
  local expanded=${args//\{EXTRA\}/$EXTRA_FILE}
  # {DELETES:N} / {UPDATES:N}: N -D (-U) lines, each of one entry of this table (gen.mjs --deletes / --updates)
  if [[ $expanded =~ \{(DELETES|UPDATES):([0-9]+)\} ]]; then
    local kind=${BASH_REMATCH[1],,}
    local delf="$CTB_TMP/$kind-${BASH_REMATCH[2]}-$size.txt"
    [[ -s $delf ]] || node "$bench/gen.mjs" "$size" "--$kind" "${BASH_REMATCH[2]}" >"$delf"
    expanded=${expanded//"${BASH_REMATCH[0]}"/$delf}
  fi
  if [[ $args == *"{EXTRA}"* && ! -s $EXTRA_FILE ]]; then
    node "$bench/gen.mjs" "$EXTRA_SIZE" --range extra >"$EXTRA_FILE"
  fi
  if [[ ,$opts, =~ ,size=([0-9]+), && ${BASH_REMATCH[1]} != "$size" ]]; then
    return 0
  fi
  local -a argv
  read -r -a argv <<<"$expanded"
  local -a tools=(ref ours)
  [[ ,$opts, == *,node0,* ]] && tools+=(node0)
  local fresh=0
  [[ ,$opts, == *,fresh,* ]] && fresh=1
  printf '%s\t%s\t%s\t%s\t%s\n' "$size" "$name" "$args" "$mode" "$opts" >>"$CASEF"

  printf '   %-16s %-28s ' "$name" "$args"
  local total=$((WARMUP + RUNS)) r tool
  for ((r = 1; r <= total; r++)); do
    for tool in "${tools[@]}"; do
      ((fresh)) && load_table "$size" force
      if [[ $tool == node0 ]]; then run_one node0 null; else run_one "$tool" "$mode" "${argv[@]}"; fi
      if ((RC != 0)); then
        # the reference failing is a finding, not a harness failure (1.4.7's -U of a large table hits ENOBUFS)
        [[ $tool == ours || $tool == node0 ]] && FAILS=$((FAILS + 1))
        printf '\n%s %s size=%s %s exited %s: %s\n' "$([[ $tool == ref ]] && echo REF-FAIL || echo FAIL)" "$name" "$size" "$tool" "$RC" "$(head -c 300 "$EF" | tr '\n' ' ')"
      fi
      if ((r > WARMUP)); then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$name" "$tool" "$((r - WARMUP))" \
          "$WALL_US" "$RSS_KB" "$RC" "$CHECK" >>"$SAMPLES"
      fi
    done
    printf '.'
  done
  record_phases "$size" "$name" "$mode" "$fresh" "${argv[@]}"
  ((fresh)) && load_table "$size" force

  # per-case summary + output check
  local line="" med
  for tool in "${tools[@]}"; do
    med=$(awk -F'\t' -v s="$size" -v n="$name" -v t="$tool" '$1==s&&$2==n&&$3==t{print $5}' "$SAMPLES" | median)
    line+=" $tool $(awk -v u="$med" 'BEGIN{printf "%.1fms", u/1000}')"
  done
  echo "$line"
  if [[ $mode != null ]]; then
    local refc oursc
    refc=$(awk -F'\t' -v s="$size" -v n="$name" '$1==s&&$2==n&&$3=="ref"{print $8}' "$SAMPLES" | sort -u)
    oursc=$(awk -F'\t' -v s="$size" -v n="$name" '$1==s&&$2==n&&$3=="ours"{print $8}' "$SAMPLES" | sort -u)
    if [[ $refc != "$oursc" ]]; then
      FAILS=$((FAILS + 1))
      echo "FAIL $name size=$size output differs: ref [${refc//$'\n'/ }] ours [${oursc//$'\n'/ }]"
    fi
  fi
}

# The small table's cases that BENCH_ONLY selects, in SMALL_SEL.
select_small() {
  SMALL_SEL=()
  ((BENCH_SMALL > 0)) || return 0
  local c
  for c in "${SMALL_CASES[@]}"; do [[ -z $BENCH_ONLY || ${c%%|*} =~ $BENCH_ONLY ]] && SMALL_SEL+=("$c"); done
  # (the loop's status is its last test's: a last case BENCH_ONLY leaves out would end the run under set -e)
  return 0
}

# The small table (the first BENCH_SMALL lines of BASE_FILE, so the large sizes after it grow the same table) and
# its cases.
small_table() {
  ((${#SMALL_SEL[@]})) || return 0
  echo "== small table: $BENCH_SMALL entries"
  local t0=$EPOCHREALTIME
  load_table "$BENCH_SMALL"
  printf '%s\t%s\t%s\n' "$BENCH_SMALL" "$(elapsed "$t0")" "$BENCH_SMALL" >>"$SIZEF"
  local c
  for c in "${SMALL_SEL[@]}"; do measure_case "$BENCH_SMALL" "$c"; done
}

# `node -e 0` at this size, RUNS times (after WARMUP): the floor of any Node CLI on the machine as it is now, shown
# beside the size's cases.
measure_node0() {
  local size=$1 r
  printf '%s\t%s\t%s\t%s\t%s\n' "$size" node-e-0 "node -e 0" null baseline >>"$CASEF"
  for ((r = 1; r <= WARMUP + RUNS; r++)); do
    run_one node0 null
    ((r > WARMUP)) && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" node-e-0 node0 "$((r - WARMUP))" \
      "$WALL_US" "$RSS_KB" "$RC" - >>"$SAMPLES"
  done
  return 0
}

# One more run of ours, untimed, with CONNTRACK_PHASES=FILE (src/phases.ts): when it reached each phase, in ms
# since its process started, appended to phases.tsv (size, case, phase, first, last, count), with `launch` (from
# the harness's clock before the command to the process's start: /usr/bin/time, bin/conntrack's /bin/sh line,
# exec) and `end` (the harness's clock after the command). BENCH_PHASES=0: none.
record_phases() {
  local size=$1 name=$2 mode=$3 fresh=$4; shift 4
  [[ $BENCH_PHASES == 1 ]] || return 0
  ((fresh)) && load_table "$size" force
  local f="$CTB_TMP/phases.one"
  rm -f "$f"
  local t0=$EPOCHREALTIME
  CONNTRACK_PHASES=$f run_one ours "$mode" "$@"
  # nothing written: OURS is not our CLI (OURS=/usr/sbin/conntrack tests the harness)
  [[ -s $f ]] || return 0
  awk -F'\t' -v s="$size" -v n="$name" -v t0="${t0/./}" -v wall="$WALL_US" '
    $1 == "origin" { origin = $2; printf "%s\t%s\tlaunch\t%.3f\t%.3f\t1\n", s, n, origin - t0 / 1000, origin - t0 / 1000; next }
    NF == 2 { printf "%s\t%s\t%s\t%s\t%s\t1\n", s, n, $1, $2, $2; next }
    { printf "%s\t%s\t%s\t%s\t%s\t%s\n", s, n, $1, $2, $3, $4 }
    END { e = (t0 + wall) / 1000 - origin; printf "%s\t%s\tend\t%.3f\t%.3f\t1\n", s, n, e, e }' "$f" >>"$CTB_TMP/phases.tsv"
}

if [[ ${1:-} == __inner ]]; then
  inner
  exit 0
fi

# ===========================================================================
# Outer part: initial namespace. Setup, netns, sysctl, cleanup, report.
# ===========================================================================
((EUID == 0)) || die "must run as root (creates a network namespace)"
isint "$RUNS" && ((RUNS >= 1 && RUNS <= 100)) || die "RUNS must be 1..100"
isint "$WARMUP" && ((WARMUP <= 10)) || die "WARMUP must be 0..10"
# the small table's cases and the phases of one run (BENCH_SMALL, BENCH_PHASES: see SMALL_CASES, record_phases)
isint "$BENCH_SMALL" && ((BENCH_SMALL <= 1000)) || die "BENCH_SMALL must be 0..1000"
export BENCH_SMALL BENCH_PHASES
isint "$BENCH_JOBS" && ((BENCH_JOBS >= 1 && BENCH_JOBS <= 16)) || die "BENCH_JOBS must be 1..16"
max_size=0
for s in $BENCH_SIZES; do
  isint "$s" && ((s >= 1 && s <= 2000000)) || die "bad size '$s' in BENCH_SIZES (1..2000000)"
  ((s > max_size)) && max_size=$s
done
((max_size > 0)) || die "BENCH_SIZES is empty"

# tools
apt_updated=0
need_pkg() { # binary package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "bench: installing $2"
  if ((apt_updated == 0)); then apt-get update -qq >/dev/null || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
    die "could not install $2"
}
[[ -x /usr/bin/time ]] || { apt_updated=0; need_pkg /usr/bin/time time; }
need_pkg ip iproute2
[[ -x /usr/sbin/conntrack ]] || need_pkg /usr/sbin/conntrack conntrack
command -v node >/dev/null || die "node not found"

# resolve the commands under test (word-split; a script file that is not
# executable, or a .js/.mjs file, is run with node)
resolve_cmd() {
  local -a w
  read -r -a w <<<"$1"
  ((${#w[@]})) || die "empty command"
  local first=${w[0]}
  if [[ $first == */* ]]; then
    [[ -f $first ]] || die "$2 not found: $first${3:+ ($3)}"
    if [[ $first == *.js || $first == *.mjs || ! -x $first ]]; then
      w=(node "${w[@]}")
    fi
  else
    command -v "$first" >/dev/null || die "$2 not found: $first"
  fi
  echo "${w[*]}"
}
OURS=$(resolve_cmd "$OURS" OURS "build it, or set OURS=/usr/sbin/conntrack to test the harness")
REF=$(resolve_cmd "$REF" REF)
[[ -z $BASE ]] || BASE=$(resolve_cmd "$BASE" BASE)

mkdir -p "$BENCH_OUT"
CTB_NS="ctbench-$$"
CTB_TMP=$(mktemp -d /tmp/ctbench.XXXXXX)
CTB_INIT_NETNS=$(readlink /proc/self/ns/net)
CT_MAX_FILE=/proc/sys/net/netfilter/nf_conntrack_max
ORIG_CT_MAX=""
NS_CREATED=0
INNER_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ -n $INNER_PID ]] && kill -0 -- "-$INNER_PID" 2>/dev/null; then
    # our own inner job's process group (conntrack/node processes it started)
    kill -TERM -- "-$INNER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 -- "-$INNER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$INNER_PID" 2>/dev/null || true
  fi
  if ((NS_CREATED)); then
    ip netns del "$CTB_NS" 2>/dev/null || echo "bench: WARNING: could not delete netns $CTB_NS" >&2
  fi
  if [[ -n $ORIG_CT_MAX ]]; then
    sysctl -qw "net.netfilter.nf_conntrack_max=$ORIG_CT_MAX" ||
      echo "bench: WARNING: could not restore nf_conntrack_max=$ORIG_CT_MAX" >&2
    echo "bench: nf_conntrack_max restored to $(cat "$CT_MAX_FILE"), netns $CTB_NS removed" >&2
  fi
  rm -rf "$CTB_TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

stale=$(ip netns list 2>/dev/null | awk '$1 ~ /^ctbench-/{print $1}' | tr '\n' ' ')
[[ -z $stale ]] || echo "bench: note: other ctbench netns exist (another run, or a killed one): $stale" >&2

if [[ ! -e $CT_MAX_FILE ]]; then modprobe nf_conntrack 2>/dev/null || true; fi
[[ -e $CT_MAX_FILE ]] || die "nf_conntrack not available ($CT_MAX_FILE missing)"
cur_max=$(cat "$CT_MAX_FILE")
want_max=${BENCH_CT_MAX:-$((max_size + max_size / 10 + EXTRA_SIZE + 10000))}
((want_max < 1200000)) && [[ -z ${BENCH_CT_MAX:-} ]] && want_max=1200000
if ((cur_max < want_max)); then
  ORIG_CT_MAX=$cur_max
  sysctl -qw "net.netfilter.nf_conntrack_max=$want_max"
  echo "bench: nf_conntrack_max raised $cur_max -> $want_max for this run (restored on exit)"
fi

ip netns add "$CTB_NS"
NS_CREATED=1

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: ref='${BASE:-$REF}'${BASE:+ (BASE: an A/B run; the table is loaded by $REF)} ours='$OURS' sizes='$BENCH_SIZES' runs=$RUNS warmup=$WARMUP netns=$CTB_NS"
t_start=$EPOCHREALTIME
export CTB_NS CTB_TMP CTB_INIT_NETNS REF BASE OURS BENCH_SIZES RUNS WARMUP BENCH_ALL BENCH_ONLY BENCH_JOBS
# The inner part runs as a background job in its own process group (set -m),
# so that a signal to this script is handled at once (bash defers traps while
# a foreground child runs) and cleanup can end that group, and only it.
set -m
ip netns exec "$CTB_NS" bash "${BASH_SOURCE[0]}" __inner &
INNER_PID=$!
set +m
wait "$INNER_PID"
INNER_PID=""
total_s=$(elapsed "$t_start")

# metadata for the report
{
  printf 'started\t%s\n' "$started"
  printf 'total_s\t%s\n' "$total_s"
  printf 'loadavg_start\t%s\n' "$load_start"
  printf 'loadavg_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'cpu\t%s\n' "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  printf 'mem_total_kb\t%s\n' "$(awk '/^MemTotal/{print $2}' /proc/meminfo)"
  printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
  printf 'node\t%s\n' "$(node --version)"
  printf 'ref_cmd\t%s\n' "${BASE:-$REF}"
  printf 'base\t%s\n' "$([[ -n $BASE ]] && echo true || echo false)"
  printf 'ours_cmd\t%s\n' "$OURS"
  printf 'ref_version\t%s\n' "$(${BASE:-$REF} --version 2>&1 | head -n1)"
  printf 'git_rev\t%s\n' "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo none)"
  printf 'git_dirty\t%s\n' "$([[ -n $(git -C "$repo" status --porcelain 2>/dev/null) ]] && echo true || echo false)"
  printf 'runs\t%s\n' "$RUNS"
  printf 'warmup\t%s\n' "$WARMUP"
  printf 'jobs\t%s\n' "$BENCH_JOBS"
  printf 'nf_conntrack_max_during\t%s\n' "$(cat "$CT_MAX_FILE")"
  printf 'nf_conntrack_buckets\t%s\n' "$(cat /proc/sys/net/netfilter/nf_conntrack_buckets 2>/dev/null || echo NA)"
  printf 'harness_overhead_us\t%s\n' "$(cat "$CTB_TMP/overhead_us")"
  printf 'fails\t%s\n' "$(cat "$CTB_TMP/fails")"
} >"$CTB_TMP/meta.tsv"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
node "$bench/report.mjs" "$CTB_TMP" "$BENCH_OUT/latest.json"
cp "$BENCH_OUT/latest.json" "$BENCH_OUT/$stamp.json"
cp "$CTB_TMP/samples.tsv" "$BENCH_OUT/latest-samples.tsv"

fails=$(cat "$CTB_TMP/fails")
if ((fails > 0)); then
  echo "bench: $fails FAIL(s), see above" >&2
  exit 1
fi
