package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rtcstats/rtcstats/internal/coverage"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

// The README's coverage table, checked against a real loopback report in
// both directions: a member claimed as always present is present in every
// object of its type, and a member claimed as planned or not measurable is
// never emitted.
func TestCoverageTableMatchesLoopbackReport(t *testing.T) {
	_, off, ans, _ := call(t, peers.Config{}, 2*time.Second)
	table := map[[2]string]coverage.Type{}
	for _, ty := range coverage.Table() {
		table[[2]string{string(ty.Type), ty.Kind}] = ty
	}
	for name, r := range map[string]report.Report{"offerer": off, "answerer": ans} {
		for id, s := range r {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var members map[string]any
			if err := json.Unmarshal(b, &members); err != nil {
				t.Fatal(err)
			}
			kind := ""
			if s.StatsType() == report.TypeMediaSource {
				kind, _ = members["kind"].(string)
			}
			ty, ok := table[[2]string{string(s.StatsType()), kind}]
			if !ok {
				t.Errorf("%s: %s has type %s, which the coverage table does not list", name, id, s.StatsType())
				continue
			}
			for m, e := range ty.Members {
				_, present := members[m]
				switch {
				case (e.Status == coverage.No || e.Status == coverage.Planned) && present:
					t.Errorf("%s: %s.%s is emitted but the table says %q", name, id, m, e.Status)
				case (e.Status == coverage.Measured || e.Status == coverage.Pion || e.Status == coverage.Filled) && e.When == "" && !present:
					t.Errorf("%s: %s (%s) lacks %s, which the table says is always present", name, id, s.StatsType(), m)
				}
			}
		}
	}
}
