//go:build race

package collectors

// invScale divides the number of random sequences of the property test
// under the race detector, which makes it about 20 times slower; the
// sequences kept are the first of the same deterministic seeds.
const invScale = 8
