//go:build race

package e2e

// raceEnabled says the race detector is on (go test -race).
const raceEnabled = true
