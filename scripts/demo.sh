#!/usr/bin/env bash
# The main job end to end on the committed AudioFixtures: install what is missing, build in
# release mode, run the overnight batch into a fresh SQLite store and print its summary.
# (The fixtures include 10 deliberately broken files: each is recorded as a failure with its
# cause and the batch goes on, so the exit status of `run` is 1 by design here.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
echo "==> swift build -c release"
swift build -c release 2>&1 | tail -n 3
BIN=.build/release/calltriage
DB="${CALLTRIAGE_DB:-out/fixtures.sqlite}"
mkdir -p "$(dirname "$DB")"
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "==> calltriage run AudioFixtures/audio --db $DB"
set +e
"$BIN" run AudioFixtures/audio --db "$DB"
status=$?
set -e
echo "==> exit status $status (1 = some files failed: the 10 broken fixtures; see the failures table)"
CSV="${DB%.sqlite}.csv"
echo "==> calltriage export --db $DB --format csv > $CSV   (first drafts below)"
"$BIN" export --db "$DB" --format csv > "$CSV"
head -n 8 "$CSV"
