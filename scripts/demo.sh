#!/usr/bin/env bash
# npm run demo: build a small private network namespace with live traffic (TCP, UDP, ICMP and a
# DNAT'd TCP flow), list its connection-tracking table with our CLI, then remove everything.
#
#   CONNTRACK_BIN=/usr/sbin/conntrack bash scripts/demo.sh   # same demo with the reference tool
#
# Needs root (network namespaces). Touches nothing outside its two namespaces ctdemo-PID and
# ctdemo-PID-srv; everything is removed on exit, whatever happens.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONNTRACK_BIN=${CONNTRACK_BIN:-$repo/bin/conntrack}
NODE=${NODE:-node}

if [[ $EUID -ne 0 ]]; then
  echo "demo: needs root to create a private network namespace; run: sudo npm run demo" >&2
  exit 1
fi
if [[ ! -e $CONNTRACK_BIN ]]; then
  echo "demo: $CONNTRACK_BIN not found (run npm run build, or set CONNTRACK_BIN)" >&2
  exit 1
fi
command -v ping >/dev/null || { echo "demo: ping not found (apt-get install -y iputils-ping)" >&2; exit 1; }

NS=ctdemo-$$     # the namespace whose table we list (client side, does the DNAT)
SRV=ctdemo-$$-srv
state=$(mktemp -d /tmp/ctdemo.XXXXXX)

cleanup() {
  local ns pids _
  set +e
  for ns in "$NS" "$SRV"; do
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$ns" || continue
    pids=$(ip netns pids "$ns" 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n $pids ]] && kill -TERM $pids 2>/dev/null
    for _ in $(seq 1 20); do
      [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
      sleep 0.05
    done
    pids=$(ip netns pids "$ns" 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf -- "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() { # MODE: at most 5 s
  local _
  for _ in $(seq 1 100); do
    [[ -f $state/$1.ready ]] && return 0
    [[ -f $state/$1.failed ]] && { echo "demo: $1 failed: $(cat "$state/$1.failed")" >&2; return 1; }
    sleep 0.05
  done
  echo "demo: $1 not ready after 5 s" >&2
  return 1
}

ip netns add "$NS"
ip netns add "$SRV"
ip -n "$NS" link set lo up
ip -n "$SRV" link set lo up
ip -n "$NS" link add ct0 type veth peer name ct0 netns "$SRV"
ip -n "$NS" addr add 10.201.0.1/24 dev ct0
ip -n "$SRV" addr add 10.201.0.2/24 dev ct0
ip -n "$NS" link set ct0 up
ip -n "$SRV" link set ct0 up
ip netns exec "$NS" sysctl -q -w net.netfilter.nf_conntrack_acct=1

# conntrack in use in $NS, plus a DNAT for locally generated traffic: 10.201.0.100:8080 -> 10.201.0.2:80
ip netns exec "$NS" nft -f - <<'EOF'
table inet ctdemo {
	chain out {
		type filter hook output priority filter; policy accept;
		ct state established,related accept
		tcp dport 80 ct mark set 42
	}
	chain nat_out {
		type nat hook output priority -100; policy accept;
		ip daddr 10.201.0.100 tcp dport 8080 dnat ip to 10.201.0.2:80
	}
}
EOF

ip netns exec "$SRV" "$NODE" "$repo/test/lab/traffic.mjs" demo-server "$state" >/dev/null 2>&1 &
wait_ready demo-server
ip netns exec "$NS" "$NODE" "$repo/test/lab/traffic.mjs" demo-client "$state" 10.201.0.2 10.201.0.100 >/dev/null 2>&1 &
wait_ready demo-client
ip netns exec "$NS" ping -q -c 1 -W 1 10.201.0.2 >/dev/null

echo "# conntrack -L in network namespace $NS (live TCP, UDP, ICMP and a DNAT'd flow)"
if [[ $(head -c 4 "$CONNTRACK_BIN" | od -An -c | tr -d ' ') == '177ELF' ]]; then
  ip netns exec "$NS" timeout 10 "$CONNTRACK_BIN" -L
else
  ip netns exec "$NS" timeout 10 "$NODE" "$CONNTRACK_BIN" -L
fi
