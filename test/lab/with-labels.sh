#!/usr/bin/env bash
# Run CMD with conntrack label names available, without touching the machine's /etc:
#
#   bash test/lab/with-labels.sh CMD [ARGS...]
#
# CMD runs in a new mount namespace in which /etc is an overlayfs (lower: the real /etc, upper: a
# tmpfs) holding /etc/xtables/connlabel.conf (read by conntrack) and /etc/connlabel.conf (read by
# nft), both copies of fixtures/connlabel.conf (override with CTLAB_CONNLABEL=FILE).
#
# The mount namespace is a *slave* of the machine's (`--propagation slave`), not a private one:
# mounts made inside (the overlay) never propagate out, but network namespaces that lab.sh creates
# from inside (through CTLAB_HOST_MNTNS, in the machine's mount namespace) propagate in. So
#   with-labels.sh bash test/lab/lab.sh build-labels X
# leaves netns X usable from everywhere, and
#   with-labels.sh ip netns exec X conntrack -L -o labels
# shows the label names. The exit status is CMD's.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LABELS=${CTLAB_CONNLABEL:-$REPO/fixtures/connlabel.conf}

[[ $# -ge 1 ]] || { echo "usage: with-labels.sh CMD [ARGS...]" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "with-labels.sh: must run as root" >&2; exit 1; }
[[ -r $LABELS ]] || { echo "with-labels.sh: cannot read $LABELS" >&2; exit 1; }

# Make /run/netns a shared mount point now (as `ip netns add` does on first use), so that the slave
# copy in our mount namespace receives the netns mounts made later in the machine's namespace.
mkdir -p /run/netns
mountpoint -q /run/netns || mount --bind /run/netns /run/netns
mount --make-shared /run/netns

tmp=$(mktemp -d /tmp/ctlab-labels.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT

export CTLAB_HOST_MNTNS=/proc/$$/ns/mnt
export CTLAB_LABELS=1
rc=0
# shellcheck disable=SC2016 # the inner script expands its own positional parameters
unshare --mount --propagation slave -- bash -euc '
  tmp=$1 labels=$2
  shift 2
  mount -t tmpfs -o mode=0700,size=4m ctlab-labels "$tmp"
  mkdir -p "$tmp/upper/xtables" "$tmp/work"
  cp "$labels" "$tmp/upper/xtables/connlabel.conf"
  cp "$labels" "$tmp/upper/connlabel.conf"
  chmod 0644 "$tmp/upper/xtables/connlabel.conf" "$tmp/upper/connlabel.conf"
  mount -t overlay ctlab-etc -o "lowerdir=/etc,upperdir=$tmp/upper,workdir=$tmp/work" /etc
  exec "$@"
' with-labels "$tmp" "$LABELS" "$@" || rc=$?
exit "$rc"
