#!/usr/bin/env bash
# Rebuilds fixtures/kernel and fixtures/golden from a fresh lab (root). Review the diff before committing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
lab=ctfix-$$
trap 'bash test/lab/lab.sh destroy "$lab" >/dev/null 2>&1 || true; bash test/lab/lab.sh destroy "$lab-e" >/dev/null 2>&1 || true' EXIT
export TZ=UTC
bash test/lab/with-labels.sh bash test/lab/lab.sh build-labels "$lab"
bash test/lab/with-labels.sh ip netns exec "$lab" npx tsx scripts/capture-fixtures.ts fixtures/cases.tsv fixtures "$repo/fixtures/connlabel.conf"
# an empty table
ip netns add "$lab-e"
ip netns exec "$lab-e" npx tsx scripts/capture-fixtures.ts fixtures/cases-empty.tsv fixtures
