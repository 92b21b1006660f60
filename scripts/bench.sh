#!/usr/bin/env bash
# bench.sh runs the performance benchmarks and summarises them with benchstat.
#
#   scripts/bench.sh                 # everything, -count 10 (about 25 minutes)
#   COUNT=3 scripts/bench.sh         # quicker, noisier
#   BENCH='Inbound|Outbound' scripts/bench.sh   # a subset of internal/bench
#   RTCSTATS_E2E_COST=1 scripts/bench.sh        # also the end-to-end CPU cost test
#
# Output goes to $OUT (default /tmp/rtcstats-bench): the raw `go test` output
# (bench.txt, root.txt), benchstat's summaries (*.stat) and machine.txt.
#
# rtcstats against pion's stats interceptor, one column per implementation
# (pion first: the delta column is rtcstats relative to pion):
#
#   benchstat -col /impl bench.txt
#
# and ratios.md: the same ratios raw, net of impl=none (the harness alone,
# measured in the same run) and by CPU time (internal/bench/cmd/ratios).
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-10}
BENCH=${BENCH:-.}
OUT=${OUT:-/tmp/rtcstats-bench}
mkdir -p "$OUT"

BENCHSTAT=${BENCHSTAT:-}
if [ -z "$BENCHSTAT" ]; then
	if command -v benchstat >/dev/null; then
		BENCHSTAT=benchstat
	elif [ -x "$(go env GOPATH)/bin/benchstat" ]; then
		BENCHSTAT="$(go env GOPATH)/bin/benchstat"
	else
		echo "benchstat not found: go install golang.org/x/perf/cmd/benchstat@latest" >&2
		exit 1
	fi
fi

{
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
	echo "cores: $(nproc 2>/dev/null || echo '?')"
	echo "go: $(go version)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$OUT/machine.txt"

# rtcstats vs pion, identical input (see internal/bench/doc.go).
go test -run '^$' -bench "$BENCH" -count "$COUNT" ./internal/bench/ | tee "$OUT/bench.txt"

# The existing per-package benchmarks: the root interceptor paths, the
# collectors, the RTP header reader and the DSCP socket paths
# (dscp/conn_linux_test.go BenchmarkSend/BenchmarkReceive).
if [ "$BENCH" = . ]; then
	go test -run '^$' -bench . -count "$COUNT" . ./collectors/ ./internal/rtpx/ ./dscp/ | tee "$OUT/root.txt"
fi

"$BENCHSTAT" -col /impl "$OUT/bench.txt" | tee "$OUT/bench-by-impl.stat"
"$BENCHSTAT" "$OUT/bench.txt" >"$OUT/bench.stat"
go run ./internal/bench/cmd/ratios "$OUT/bench.txt" | tee "$OUT/ratios.md"
if [ -f "$OUT/root.txt" ] && [ "$BENCH" = . ]; then
	"$BENCHSTAT" "$OUT/root.txt" | tee "$OUT/root.stat"
fi

if [ "${RTCSTATS_E2E_COST:-}" = 1 ]; then
	RTCSTATS_E2E_COST=1 go test -run '^TestE2ECost$' -count 1 -v ./internal/bench/ | tee "$OUT/e2e.txt"
fi
echo "results in $OUT"
