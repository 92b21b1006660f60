//go:build !race

package collectors

// invScale: see race_invariant_test.go.
const invScale = 1
