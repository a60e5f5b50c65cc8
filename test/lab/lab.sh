#!/usr/bin/env bash
# Test lab: a real, rich conntrack table inside private network namespaces. See test/lab/README.md.
#
#   bash test/lab/lab.sh build NAME          build netns NAME (router) + NAME-c (client) + NAME-s (server)
#   bash test/lab/lab.sh build-labels NAME   same, plus conntrack labels (run it through with-labels.sh)
#   bash test/lab/lab.sh destroy NAME        kill everything the lab started, delete the namespaces
#
# The table to look at is the router's:  ip netns exec NAME conntrack -L
# Nothing here touches the initial network namespace: all conntrack/nft/sysctl changes run with
# `ip netns exec NAME ...` and all traffic stays on veth pairs between the lab's namespaces.
#
# Environment: CONNTRACK_REF (reference binary, default /usr/sbin/conntrack), NODE (default node),
# CTLAB_STRICT=1 (fail instead of warn when an expected entry kind is missing),
# CTLAB_STATE_ROOT (default /run/ctlab; traffic logs live in $CTLAB_STATE_ROOT/NAME).
set -eEuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CT=${CONNTRACK_REF:-/usr/sbin/conntrack}
NODE=${NODE:-node}
STATE_ROOT=${CTLAB_STATE_ROOT:-/run/ctlab}

die() { echo "lab.sh: $*" >&2; exit 1; }
warn() { echo "lab.sh: warning: $*" >&2; }
usage() { echo "usage: lab.sh build|build-labels|destroy NAME" >&2; exit 2; }

cmd=${1:-}
name=${2:-}
[[ -n $cmd && -n $name && $# -eq 2 ]] || usage
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$ ]] || die "bad lab name '$name' (letters, digits, _ . -; at most 31 chars)"
R=$name       # router: its conntrack table is the one the lab is about
C=$name-c     # client
S=$name-s     # server
STATE=$STATE_ROOT/$name

# `ip netns add/del` must act in the machine's mount namespace, also when we run inside the
# mount namespace of with-labels.sh (which exports CTLAB_HOST_MNTNS); otherwise the namespaces would
# vanish with it. with-labels.sh makes its namespace a slave, so the new netns mounts show up there.
host_ip() {
  if [[ -n ${CTLAB_HOST_MNTNS:-} && -e ${CTLAB_HOST_MNTNS:-} ]]; then
    nsenter --mount="$CTLAB_HOST_MNTNS" -- ip "$@"
  else
    ip "$@"
  fi
}
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$1"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ------------------------------------------------------------------------------------------ destroy

kill_ns_procs() { # kill every process living in one of the lab's namespaces (all of them are ours)
  local ns=$1 pids _
  ns_exists "$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 40); do # at most 2 s
    [[ -n $(ip netns pids "$ns" 2>/dev/null || true) ]] || return 0
    sleep 0.05
  done
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
}

destroy() {
  local ns
  # Every process the lab starts lives in one of its namespaces: `ip netns pids` finds exactly those
  # (no pid files that could point at a recycled pid).
  for ns in "$C" "$S" "$R"; do kill_ns_procs "$ns"; done
  for ns in "$C" "$S" "$R"; do
    if ns_exists "$ns" || [[ -e /run/netns/$ns ]]; then
      host_ip netns del "$ns" 2>/dev/null || ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"
    fi
  done
  rm -rf -- "$STATE"
  rmdir -- "$STATE_ROOT" 2>/dev/null || true
}

# ------------------------------------------------------------------------------------------ build

on_build_exit() { # EXIT trap while building: on failure show the traffic logs and remove everything
  local rc=$1 f
  [[ $rc -ne 0 ]] || return 0
  trap - ERR
  set +eE
  echo "lab.sh: build $name failed (exit $rc); cleaning up" >&2
  for f in "$STATE"/*.failed "$STATE"/*.log; do
    [[ -f $f ]] && grep -v '^ok ' "$f" | sed "s|^|lab.sh:   ${f##*/}: |" >&2
  done
  destroy || true
}

start_traffic() { # NS MODE [ARGS...]: run traffic.mjs in the background inside NS
  local ns=$1 mode=$2
  shift 2
  ip netns exec "$ns" "$NODE" "$LAB_DIR/traffic.mjs" "$mode" "$STATE" "$@" >>"$STATE/$mode.out" 2>&1 &
}

wait_ready() { # MODE TIMEOUT_S
  local mode=$1 tries=$(($2 * 20)) i
  for ((i = 0; i < tries; i++)); do
    [[ -f $STATE/$mode.ready ]] && return 0
    [[ -f $STATE/$mode.failed ]] && die "traffic '$mode' failed: $(cat "$STATE/$mode.failed")"
    sleep 0.05
  done
  die "traffic '$mode' not ready after $2 s"
}

router_ruleset() { # $1 = 1 for the labels variant
  cat <<'EOF'
table inet ctlab {
	ct helper ftp-std {
		type "ftp" protocol tcp
		l3proto inet
	}
	ct helper tftp-std {
		type "tftp" protocol udp
		l3proto inet
	}
	ct helper sip-std {
		type "sip" protocol udp
		l3proto inet
	}

	set fin_seen {
		type ipv4_addr . inet_service
		flags dynamic
	}

	# Empty until the end of the build; then "drop" freezes the table (before conntrack, every packet).
	chain freeze_pre {
		type filter hook prerouting priority -350; policy accept;
	}
	chain freeze_out {
		type filter hook output priority -350; policy accept;
	}

	# Before conntrack (-200): packets conntrack must never see, and zone templates.
	chain raw_pre {
		type filter hook prerouting priority raw; policy accept;
		iifname "rs0" tcp sport 7002 drop comment "SYN_SENT: hide the SYN-ACK"
		iifname "rc0" tcp dport 7003 tcp flags & syn == 0 drop comment "SYN_RECV: hide the client's ACKs"
		iifname "rs0" tcp sport 7004 tcp flags & syn == 0 drop comment "FIN_WAIT: hide the server's ACKs"
		iifname "rc0" tcp dport 7004 tcp flags & fin == fin ip saddr . tcp sport @fin_seen drop comment "FIN_WAIT: hide FIN retransmissions (they make it LAST_ACK)"
		iifname "rc0" tcp dport 7004 tcp flags & fin == fin add @fin_seen { ip saddr . tcp sport }
		iifname "rs0" tcp sport 7006 tcp flags & (syn | fin | rst) == 0 drop comment "LAST_ACK: hide the last ACK"
		iifname "rs0" udp sport 5002 drop comment "UDP unreplied"
		iifname "rs0" ip saddr 10.200.2.3 icmp type echo-reply drop comment "ICMP unreplied"
		iifname "rs0" ip6 saddr fd00:200:2::3 icmpv6 type echo-reply drop comment "ICMPv6 unreplied"
		iifname "rc0" udp dport 5005 ct zone set 5
		iifname "rs0" udp sport 5005 ct zone set 5
		iifname "rc0" udp dport 5007 ct original zone set 7
		iifname "rc0" udp dport 5008 ct reply zone set 8
		iifname "rs0" udp sport 5008 ct reply zone set 8
	}

	# After conntrack: helpers must be attached to the first packet of a connection.
	chain helpers {
		type filter hook prerouting priority filter; policy accept;
		tcp dport { 21, 2121 } ct helper set "ftp-std"
		udp dport 69 ct helper set "tftp-std"
		udp dport 5060 ct helper set "sip-std"
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 80 ct mark set 42
		udp dport 53 ct mark set 7
		udp dport 5000 ct mark set 0xffffffff
		ip daddr 10.200.2.2 icmp type echo-request ct mark set 0x80000001
#LABEL_RULES#
		ct state established,related counter accept
		ct state invalid counter accept
		ct state new counter accept
	}

	chain nat_pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "rc0" ip daddr 10.200.1.1 tcp dport 8080 dnat ip to 10.200.2.2:80
		iifname "rc0" ip daddr 10.200.1.1 udp dport 5353 dnat ip to 10.200.2.2:53
		iifname "rc0" ip6 daddr fd00:200:1::1 tcp dport 8080 dnat ip6 to [fd00:200:2::2]:80
	}
	chain nat_post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "rs0" ip saddr 10.200.1.0/24 tcp dport 8000 snat ip to 10.200.2.1:20000-20099
		oifname "rs0" ip saddr 10.200.1.0/24 udp dport 8000 masquerade
		oifname "rs0" ip saddr 10.200.1.0/24 tcp dport 2121 masquerade
		oifname "rs0" ip6 saddr fd00:200:1::/64 tcp dport 8000 masquerade
	}
}
EOF
}

label_rules() {
  cat <<'EOF'
		tcp dport 7001 ct label set foo
		tcp dport 7001 ct label set bar
		tcp dport 7001 ct label set 9
		udp dport 53 ct label set ops-team
		tcp dport 7005 ct label set 3
EOF
}

# Entries real traffic cannot make on this kernel, loaded with the reference `conntrack -R`.
# (Keep labels out of this file: 1.4.7 crashes on multi-line -R files that set labels. SCTP
# HEARTBEAT_SENT/HEARTBEAT_ACKED are missing on purpose: 1.4.7 segfaults on them.)
load_file() {
  cat <<'EOF'
# SCTP in every state the kernel accepts
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5001 --dport 36412 --state CLOSED --orig-vtag 0x1001 --reply-vtag 0x2001 -t 3601
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5002 --dport 36412 --state COOKIE_WAIT --orig-vtag 0x1002 --reply-vtag 0 -t 3602
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5003 --dport 36412 --state COOKIE_ECHOED --orig-vtag 0x1003 --reply-vtag 0x2003 -t 3603
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5004 --dport 36412 --state ESTABLISHED --orig-vtag 0x1004 --reply-vtag 0x2004 -u SEEN_REPLY,ASSURED -t 3604
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5005 --dport 36412 --state SHUTDOWN_SENT --orig-vtag 0x1005 --reply-vtag 0x2005 -u SEEN_REPLY -t 3605
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5006 --dport 36412 --state SHUTDOWN_RECD --orig-vtag 0x1006 --reply-vtag 0x2006 -u SEEN_REPLY -t 3606
-I -p sctp -s 192.0.2.10 -d 198.51.100.10 --sport 5007 --dport 36412 --state SHUTDOWN_ACK_SENT --orig-vtag 0x1007 --reply-vtag 0x2007 -u SEEN_REPLY -t 3607
-I -p sctp -s 2001:db8:1::10 -d 2001:db8:2::10 --sport 5010 --dport 36412 --state ESTABLISHED --orig-vtag 0xa --reply-vtag 0xb -u SEEN_REPLY,ASSURED -m 132 -t 3610
# DCCP: not tracked by this kernel any more, the entry is generic (no state, ports 0)
-I -p dccp -s 192.0.2.11 -d 198.51.100.11 --sport 5004 --dport 5005 --state OPEN --role client -t 3611
# GRE with keys (real GREv0 traffic always has keys 0)
-I -p gre -s 192.0.2.12 -d 198.51.100.12 --srckey 0x10 --dstkey 0x20 -t 3612
-I -p gre -s 192.0.2.12 -d 198.51.100.13 --srckey 0xbeef --dstkey 1 -u SEEN_REPLY,ASSURED -t 3613
# UDP-Lite
-I -p udplite -s 192.0.2.13 -d 198.51.100.13 --sport 6000 --dport 6001 -t 3614
-I -p udplite -s 2001:db8:1::13 -d 2001:db8:2::13 --sport 6000 --dport 6001 -u SEEN_REPLY -t 3615
# protocol numbers without a name in libnetfilter_conntrack ("unknown  50")
-I -p 50 -s 192.0.2.14 -d 198.51.100.14 -t 3616
-I -p 51 -s 2001:db8:1::14 -d 2001:db8:2::14 -u SEEN_REPLY -t 3617
-I -p 103 -s 192.0.2.14 -d 224.0.0.13 -t 3618
# zones (-w: both directions; --orig-zone / --reply-zone: one direction) and marks
-I -p udp -s 192.0.2.15 -d 198.51.100.15 --sport 1000 --dport 53 -w 5 -m 0xdeadbeef -t 3619
-I -p tcp -s 192.0.2.15 -d 198.51.100.15 --sport 1001 --dport 22 --state ESTABLISHED -u SEEN_REPLY,ASSURED -w 65535 -m 1 -t 3620
-I -p udp -s 192.0.2.15 -d 198.51.100.15 --sport 1002 --dport 53 --orig-zone 3 -t 3621
-I -p udp -s 192.0.2.15 -d 198.51.100.15 --sport 1003 --dport 53 --reply-zone 4 -t 3622
-I -p udp -s 2001:db8:1::15 -d 2001:db8:2::15 --sport 1004 --dport 53 -w 5 -m 5 -t 3623
# ICMP / ICMPv6 by type (the reply tuple shows the reply type)
-I -p icmp -s 192.0.2.16 -d 198.51.100.16 --icmp-type 8 --icmp-code 0 --icmp-id 4660 -t 3624
-I -p icmp -s 192.0.2.16 -d 198.51.100.16 --icmp-type 13 --icmp-code 0 --icmp-id 77 -t 3625
-I -p icmp -s 192.0.2.16 -d 198.51.100.16 --icmp-type 15 --icmp-code 0 --icmp-id 78 -t 3626
-I -p icmp -s 192.0.2.16 -d 198.51.100.16 --icmp-type 17 --icmp-code 0 --icmp-id 79 -u SEEN_REPLY -t 3627
-I -p icmpv6 -s 2001:db8:1::16 -d 2001:db8:2::16 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 7 -u SEEN_REPLY -t 3628
-I -p icmpv6 -s 2001:db8:1::16 -d 2001:db8:2::16 --icmpv6-type 139 --icmpv6-code 0 --icmpv6-id 8 -t 3629
# TCP states and status bits without real traffic, IPv6 address forms, NAT'd tuples
-I -p tcp -s 192.0.2.17 -d 198.51.100.17 --sport 40001 --dport 443 --state SYN_SENT2 -t 3630
-I -p tcp -s 192.0.2.17 -d 198.51.100.17 --sport 40002 --dport 443 --state ESTABLISHED -u SEEN_REPLY,ASSURED --src-nat 203.0.113.5 -t 3631
-I -p tcp -s 192.0.2.17 -d 198.51.100.17 --sport 40003 --dport 443 --state ESTABLISHED -u SEEN_REPLY,ASSURED --dst-nat 203.0.113.6 -t 3632
-I -p tcp -s 192.0.2.17 -d 198.51.100.17 --sport 40004 --dport 443 --state ESTABLISHED -r 203.0.113.7 -q 192.0.2.17 --reply-port-src 8443 --reply-port-dst 40004 -u SEEN_REPLY -t 3633
-I -p tcp -s 2001:db8::1:0:0:1 -d 2001:0:0:1::1 --sport 40005 --dport 443 --state TIME_WAIT -u SEEN_REPLY,ASSURED -t 3634
-I -p tcp -s ::ffff:192.0.2.18 -d ::1.2.3.5 --sport 40006 --dport 443 --state CLOSE -t 3635
-I -p tcp -s fe80::1:0:0:0 -d ff02::1 --sport 40007 --dport 443 --state SYN_RECV -u SEEN_REPLY -t 3636
-I -p udp -s 192.0.2.19 -d 198.51.100.19 --sport 123 --dport 123 -u SEEN_REPLY,ASSURED -t 432000
EOF
}

build() {
  local labels=$1 t0 ns i f expect_n n4 n6 n missing=()
  [[ $EUID -eq 0 ]] || die "must run as root"
  for ns in "$R" "$C" "$S"; do
    ns_exists "$ns" && die "network namespace '$ns' already exists (run: bash test/lab/lab.sh destroy $name)"
  done
  command -v "$NODE" >/dev/null || die "node not found"
  command -v ping >/dev/null || die "ping not found (apt-get install -y iputils-ping)"
  [[ -x $CT ]] || die "reference conntrack not found at $CT (set CONNTRACK_REF)"
  if [[ $labels == 1 ]]; then
    [[ -r /etc/xtables/connlabel.conf && -r /etc/connlabel.conf ]] ||
      die "build-labels needs /etc/xtables/connlabel.conf and /etc/connlabel.conf; run it as: bash test/lab/with-labels.sh bash test/lab/lab.sh build-labels $name"
  fi
  t0=$(date +%s%N)
  trap 'on_build_exit $?' EXIT
  trap 'echo "lab.sh: command failed (line ${BASH_LINENO[0]}): $BASH_COMMAND" >&2' ERR
  rm -rf -- "$STATE"
  mkdir -p "$STATE"

  # --- namespaces, links, addresses
  for ns in "$R" "$C" "$S"; do
    host_ip netns add "$ns"
    in_ns "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip -n "$ns" link set lo up
  done
  ip -n "$R" link add rc0 type veth peer name cr0 netns "$C"
  ip -n "$R" link add rs0 type veth peer name sr0 netns "$S"

  # router: forwarding, accounting, timestamps, timeouts >= 30 minutes (all per-netns sysctls)
  in_ns "$R" sysctl -q -w \
    net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 \
    net.netfilter.nf_conntrack_tcp_timeout_syn_sent=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_syn_recv=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_fin_wait=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_close_wait=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_last_ack=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_time_wait=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_close=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_max_retrans=3600 \
    net.netfilter.nf_conntrack_tcp_timeout_unacknowledged=3600 \
    net.netfilter.nf_conntrack_udp_timeout=3600 \
    net.netfilter.nf_conntrack_udp_timeout_stream=7200 \
    net.netfilter.nf_conntrack_icmp_timeout=3600 \
    net.netfilter.nf_conntrack_icmpv6_timeout=3600 \
    net.netfilter.nf_conntrack_generic_timeout=3600 \
    net.netfilter.nf_conntrack_gre_timeout=3600 \
    net.netfilter.nf_conntrack_gre_timeout_stream=7200

  ip -n "$R" addr add 10.200.1.1/24 dev rc0
  ip -n "$R" addr add fd00:200:1::1/64 dev rc0 nodad
  ip -n "$R" addr add 10.200.2.1/24 dev rs0
  ip -n "$R" addr add fd00:200:2::1/64 dev rs0 nodad
  ip -n "$C" addr add 10.200.1.2/24 dev cr0
  ip -n "$C" addr add fd00:200:1::2/64 dev cr0 nodad
  ip -n "$S" addr add 10.200.2.2/24 dev sr0
  ip -n "$S" addr add 10.200.2.3/24 dev sr0
  ip -n "$S" addr add fd00:200:2::2/64 dev sr0 nodad
  ip -n "$S" addr add fd00:200:2::3/64 dev sr0 nodad
  for i in rc0 rs0; do ip -n "$R" link set "$i" up; done
  ip -n "$C" link set cr0 up
  ip -n "$S" link set sr0 up
  ip -n "$C" route add default via 10.200.1.1
  ip -n "$C" -6 route add default via fd00:200:1::1
  ip -n "$S" route add default via 10.200.2.1
  ip -n "$S" -6 route add default via fd00:200:2::1

  # GRE tunnel client <-> server, carried through the router (a real gre conntrack entry)
  # (kernels without ip_gre, like the CI one, skip it quietly: the loaded GRE entries remain)
  local gre=0
  if ip -n "$C" link add gre1 type gre local 10.200.1.2 remote 10.200.2.2 >/dev/null 2>&1 &&
    ip -n "$S" link add gre1 type gre local 10.200.2.2 remote 10.200.1.2 >/dev/null 2>&1; then
    ip -n "$C" addr add 10.200.3.1/30 dev gre1
    ip -n "$S" addr add 10.200.3.2/30 dev gre1
    ip -n "$C" link set gre1 up
    ip -n "$S" link set gre1 up
    gre=1
  fi

  # --- nft: router (conntrack, NAT, helpers, marks, zones, drops), endpoints (simultaneous open)
  if [[ $labels == 1 ]]; then
    router_ruleset | awk -v rules="$(label_rules)" '{ if ($0 == "#LABEL_RULES#") print rules; else print }' |
      in_ns "$R" nft -f -
  else
    router_ruleset | grep -vxF '#LABEL_RULES#' | in_ns "$R" nft -f -
  fi
  in_ns "$C" nft -f - <<'EOF'
table inet ctlab {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp sport 7009 tcp dport 40000 drop comment "SYN_SENT2: the server's SYN reaches conntrack only"
	}
}
EOF
  in_ns "$S" nft -f - <<'EOF'
table inet ctlab {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp sport 40000 tcp dport 7009 drop comment "SYN_SENT2: the client's SYN reaches conntrack only"
	}
}
EOF

  # --- traffic
  start_traffic "$S" server
  wait_ready server 10
  start_traffic "$R" router
  wait_ready router 10
  start_traffic "$C" client
  {
    in_ns "$C" ping -q -c 2 -i 0.2 -W 1 10.200.2.2 || true
    in_ns "$C" ping -q -c 1 -W 1 10.200.2.3 || true # reply dropped: unreplied
  } >/dev/null 2>&1 &
  local p1=$!
  {
    in_ns "$C" ping -q -6 -c 2 -i 0.2 -W 1 fd00:200:2::2 || true
    in_ns "$C" ping -q -6 -c 1 -W 1 fd00:200:2::3 || true # reply dropped: unreplied
  } >/dev/null 2>&1 &
  local p2=$!
  {
    in_ns "$C" ping -q -c 1 -W 1 10.200.1.1 || true # to the router itself
    if [[ $gre == 1 ]]; then in_ns "$C" ping -q -c 2 -i 0.2 -W 1 10.200.3.2 || true; fi
  } >/dev/null 2>&1 &
  local p3=$!
  wait_ready client 20
  start_traffic "$S" simopen
  wait_ready simopen 5
  wait "$p1" "$p2" "$p3" || true
  if [[ -f $STATE/client.failed ]]; then
    warn "some client scenarios failed:"
    sed 's/^/lab.sh:   /' "$STATE/client.failed" >&2
  fi

  # --- entries real traffic cannot make
  load_file >"$STATE/load.ct"
  in_ns "$R" "$CT" -R "$STATE/load.ct"
  if [[ $labels == 1 ]]; then # one -I per labelled entry (1.4.7 crashes on multi-line -R files with labels)
    in_ns "$R" "$CT" -I -p tcp -s 192.0.2.30 -d 198.51.100.30 --sport 1000 --dport 80 --state ESTABLISHED \
      -u SEEN_REPLY,ASSURED -t 3640 --label-add foo 2>/dev/null
    in_ns "$R" "$CT" -I -p udp -s 192.0.2.30 -d 198.51.100.30 --sport 1001 --dport 53 -t 3641 \
      --label-add "baz qux" 2>/dev/null
    in_ns "$R" "$CT" -I -p udp -s 192.0.2.30 -d 198.51.100.30 --sport 1002 --dport 53 -t 3642 \
      --label-add ops-team 2>/dev/null
    in_ns "$R" "$CT" -I -p tcp -s 2001:db8:1::30 -d 2001:db8:2::30 --sport 1003 --dport 443 --state ESTABLISHED \
      -u SEEN_REPLY -m 9 -t 3643 --label-add bar 2>/dev/null
    in_ns "$R" "$CT" -U -f ipv6 -p tcp -s 2001:db8:1::30 --sport 1003 --label-add "foo" >/dev/null 2>&1 ||
      warn "could not add a second label to the IPv6 entry"
  fi

  # --- the last FIN/ACK/RST exchanges: wait until the router's table (timeouts aside) reads the same three
  # times in a row 0.1 s apart, 5 s at most
  local prev='' now same=0 _
  for _ in $(seq 1 50); do
    now=$(in_ns "$R" "$CT" -L 2>/dev/null | awk '{$3 = ""; print}' | sort)
    if [[ $now == "$prev" ]]; then
      same=$((same + 1))
      ((same < 2)) || break
    else
      same=0
    fi
    prev=$now
    sleep 0.1
  done

  # --- freeze: drop every packet before conntrack, then stop all traffic processes
  in_ns "$R" nft add rule inet ctlab freeze_pre drop
  in_ns "$R" nft add rule inet ctlab freeze_out drop
  for ns in "$C" "$S" "$R"; do kill_ns_procs "$ns"; done
  # SYN_SENT2 has no timeout sysctl (2 minutes): give the real one an hour like the rest.
  in_ns "$R" "$CT" -U -f ipv4 -p tcp -s 10.200.1.2 -d 10.200.2.2 --sport 40000 --dport 7009 -t 3600 >/dev/null 2>&1 ||
    warn "could not raise the SYN_SENT2 timeout"

  # --- check what we got
  local table
  table=$(in_ns "$R" "$CT" -L -o extended 2>/dev/null)
  for f in ' ESTABLISHED src=10.200.1.2 ' ' SYN_SENT src=10.200.1.2 ' ' SYN_RECV src=10.200.1.2 ' \
    ' FIN_WAIT src=10.200.1.2 ' ' CLOSE_WAIT src=10.200.1.2 ' ' LAST_ACK src=10.200.1.2 ' \
    ' TIME_WAIT src=10.200.1.2 ' ' CLOSE src=10.200.1.2 ' ' SYN_SENT2 src=10.200.1.2 ' \
    'helper=ftp' 'helper=tftp' 'helper=sip' 'zone=5' 'zone-orig=7' 'zone-reply=8' 'mark=42' \
    ' icmp ' ' icmpv6 ' ' sctp ' ' gre ' ' udplite ' ' dccp ' 'unknown  50' 'dport=20' \
    'src=fd00:200:1::2' '[ASSURED]' '[UNREPLIED]' 'delta-time='; do
    [[ $table == *"$f"* ]] || missing+=("$f")
  done
  expect_n=$( (in_ns "$R" "$CT" -L expect -f ipv4 && in_ns "$R" "$CT" -L expect -f ipv6) 2>/dev/null | grep -c . || true)
  [[ $expect_n -ge 3 ]] || missing+=("expectations (got $expect_n)")
  if [[ $labels == 1 ]]; then
    [[ $(in_ns "$R" "$CT" -L -o labels 2>/dev/null) == *labels=* ]] || missing+=("labels=")
  fi
  if ((${#missing[@]})); then
    local msg
    msg="entry kinds missing from the table: $(printf '[%s] ' "${missing[@]}")"
    [[ ${CTLAB_STRICT:-0} == 1 ]] && die "$msg"
    warn "$msg"
  fi
  trap - ERR EXIT
  n=$(grep -c . <<<"$table" || true)
  n4=$(grep -c '^ipv4 ' <<<"$table" || true)
  n6=$(grep -c '^ipv6 ' <<<"$table" || true)
  echo "lab $name: $n entries (ipv4 $n4, ipv6 $n6), $expect_n expectations, table frozen; built in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
}

case $cmd in
  build) build 0 ;;
  build-labels) build 1 ;;
  destroy) [[ $EUID -eq 0 ]] || die "must run as root"; destroy ;;
  *) usage ;;
esac
