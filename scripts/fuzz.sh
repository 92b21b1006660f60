#!/usr/bin/env bash
# fuzz.sh runs every Go fuzz target of the module, one after another, each
# for the same duration, and stops at the first one that fails.
#
#   scripts/fuzz.sh            # 10s per target
#   scripts/fuzz.sh 5s         # what CI runs
#   scripts/fuzz.sh 60s        # before a release
#   FUZZ_PARALLEL=4 scripts/fuzz.sh 30s   # fuzzing workers per target (default 1)
#   FUZZ_MATCH=RTCP scripts/fuzz.sh       # only targets whose name matches (grep -E)
#   FUZZ_MINIMIZETIME=30s scripts/fuzz.sh  # time to minimize each new input (default 1s)
#
# Targets are found by name (func FuzzXxx(f *testing.F) in *_test.go files),
# so nothing is compiled to list them; files with a //go:build line for
# another OS are skipped. A failing input is written by `go test` to the
# package's testdata/fuzz/FuzzXxx/ directory: commit it (with the fix) as a
# regression seed; plain `go test` then runs it every time. A run that fails
# without recording an input (the fuzzing engine's worker hung or was killed,
# as happens on an overloaded machine) is retried twice, its log's tail shown.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-10s}
PARALLEL=${FUZZ_PARALLEL:-1}
# go test's default of 60s per new interesting input would spend a short
# run minimizing instead of fuzzing (large seeds such as report's dumps).
MINIMIZE=${FUZZ_MINIMIZETIME:-1s}
MATCH=${FUZZ_MATCH:-.}
GOOS_NOW=$(go env GOOS)

# "dir target" lines, sorted by package then target.
targets=$(
	grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
		while read -r file; do
			# Skip files built only for another OS: a _GOOS_test.go name, or
			# a //go:build line naming other systems (or excluding this one).
			os_suffix=$(sed -nE 's/.*_(linux|darwin|windows|freebsd|openbsd|netbsd|dragonfly|solaris|illumos|aix|android|ios|plan9|js|wasip1)_test\.go$/\1/p' <<<"$file")
			if [ -n "$os_suffix" ] && [ "$os_suffix" != "$GOOS_NOW" ]; then
				continue
			fi
			build=$(grep -m1 -E '^//go:build ' "$file" || true)
			if grep -qE "!$GOOS_NOW\b" <<<"$build"; then
				continue
			fi
			wanted=$(grep -oE '(^|[ (&|])(linux|darwin|windows|freebsd|openbsd|netbsd|unix)\b' <<<"${build#//go:build}" | tr -d ' (&|' || true)
			if [ -n "$wanted" ] && ! grep -qxE "$GOOS_NOW|unix" <<<"$wanted"; then
				continue
			fi
			dir=$(dirname "$file")
			grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed "s|^func |$dir |"
		done | grep -E " .*$MATCH" | sort -u
)

total=$(grep -c . <<<"$targets" || true)
if [ "$total" -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets match '$MATCH'" >&2
	exit 1
fi
echo "fuzz.sh: $total targets, $DURATION each, $PARALLEL worker(s)"

start=$SECONDS
i=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# corpus_count prints how many inputs the target's testdata corpus holds;
# a failure found by fuzzing always adds one.
corpus_count() {
	if [ -d "$1/testdata/fuzz/$2" ]; then
		find "$1/testdata/fuzz/$2" -type f | wc -l
	else
		echo 0
	fi
}

run() { # dir target
	go test -run '^$' -fuzz "^${2}\$" -fuzztime "$DURATION" -fuzzminimizetime "$MINIMIZE" -parallel "$PARALLEL" "$1" >"$log" 2>&1
}

while read -r dir target; do
	i=$((i + 1))
	t0=$SECONDS
	printf '[%2d/%d] %-22s %-24s ' "$i" "$total" "$dir" "$target"
	before=$(corpus_count "$dir" "$target")
	ok=0
	run "$dir" "$target" || ok=$?
	for retry in 1 2; do
		if [ "$ok" -eq 0 ] || [ "$(corpus_count "$dir" "$target")" -ne "$before" ] || grep -q 'build failed\|setup failed' "$log"; then
			break
		fi
		# No input was recorded: the fuzzing engine itself failed (a worker
		# that hung or was killed on a loaded machine). Say why, try again
		# (twice at most).
		printf 'engine failure (try %d), retrying:\n' "$retry"
		grep -vE '^fuzz: elapsed: [0-9]+s, execs' "$log" | tail -8 | sed 's/^/        /' | cut -c1-300
		printf '[%2d/%d] %-22s %-24s ' "$i" "$total" "$dir" "$target"
		ok=0
		run "$dir" "$target" || ok=$?
	done
	if [ "$ok" -eq 0 ]; then
		execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
		printf 'ok   %4ds  %s execs\n' "$((SECONDS - t0))" "${execs:-?}"
	else
		printf 'FAIL %4ds\n' "$((SECONDS - t0))"
		grep -vE '^fuzz: elapsed: [0-9]+s, execs' "$log" | tail -40 | cut -c1-2000
		echo "fuzz.sh: $target in $dir failed after $((SECONDS - start))s; a failing input is under $dir/testdata/fuzz/$target/" >&2
		exit 1
	fi
done <<<"$targets"
echo "fuzz.sh: all $total targets passed in $((SECONDS - start))s"
