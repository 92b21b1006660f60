package rtcstats

import (
	"math/rand"
	"slices"
	"testing"
)

// TestSortBySSRC: the radix path and the short path both order by SSRC, as
// a comparison sort does.
func TestSortBySSRC(t *testing.T) {
	for _, n := range []int{0, 1, 2, 255, 256, 257, 1000, 5000} {
		seen := map[uint32]bool{}
		keys := make([]uint64, 0, n)
		for len(keys) < n {
			ssrc := rand.Uint32()
			if n%2 == 0 {
				ssrc &= 0xff00ff // bytes of zeros: empty buckets
			}
			if seen[ssrc] {
				continue
			}
			seen[ssrc] = true
			keys = append(keys, uint64(ssrc)<<32|uint64(len(keys)))
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, func(a, b uint64) int { return int(a>>32) - int(b>>32) })
		if got := sortBySSRC(keys); !slices.Equal(got, want) {
			t.Errorf("n=%d: not in SSRC order", n)
		}
	}
	streams := []string{"c", "a", "b"}
	keys := []uint64{30 << 32, 10<<32 | 1, 20<<32 | 2}
	if got := bySSRC(streams, keys); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("bySSRC = %v", got)
	}
}
