#!/usr/bin/env bash
# lint.sh runs golangci-lint over the module with the repository's
# .golangci.yml, installing the pinned version into $(go env GOPATH)/bin
# when that version is not there yet.
#
#   scripts/lint.sh                  # the whole module
#   scripts/lint.sh ./dscp/...       # some packages
#   scripts/lint.sh --fix ./report/  # extra arguments go to `golangci-lint run`
#
# Exit status is golangci-lint's: non-zero when there are findings.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=v2.15.0
BIN="$(go env GOPATH)/bin/golangci-lint"

if ! { [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "version ${VERSION#v} "; }; then
	echo "installing golangci-lint $VERSION into $(dirname "$BIN")" >&2
	go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$VERSION"
fi

if [ $# -eq 0 ]; then
	set -- ./...
fi
exec "$BIN" run "$@"
