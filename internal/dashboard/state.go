package dashboard

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/rtcstats/rtcstats/report"
)

// State is what GET api/state returns: every peer's objects with their
// charts. Times are report timestamps in ms since the epoch; a series'
// values align with its object's Times, null where the interval had no
// value.
type State struct {
	IntervalMs float64     `json:"intervalMs"`
	History    int         `json:"history"`
	Peers      []PeerState `json:"peers"`
}

// PeerState is one peer.
type PeerState struct {
	Name    string        `json:"name"`
	Source  string        `json:"source"` // "poll" or "push"
	Reports uint64        `json:"reports"`
	Error   string        `json:"error,omitempty"`
	Objects []ObjectState `json:"objects"`
}

// ObjectState is one stats object: its members as last reported, and its
// charts when report.Delta has interval metrics for its type.
type ObjectState struct {
	ID      string          `json:"id"`
	Type    report.Type     `json:"type"`
	Gone    bool            `json:"gone,omitempty"` // absent from the peer's newest report
	Members json.RawMessage `json:"members"`
	Times   []float64       `json:"times,omitempty"`
	Charts  []ChartState    `json:"charts,omitempty"`
}

// ChartState is one chart: series sharing a unit.
type ChartState struct {
	Name   string        `json:"name"`
	Unit   string        `json:"unit"`
	Series []SeriesState `json:"series"`
}

// SeriesState is one line of a chart.
type SeriesState struct {
	Label  string `json:"label"`
	Values Values `json:"values"`
}

// Values are a series' points; NaN (JSON null) marks an interval without a
// value.
type Values []float64

// MarshalJSON writes NaN as null.
func (v Values) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(v)*12)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads null as NaN.
func (v *Values) UnmarshalJSON(b []byte) error {
	var ps []*float64
	if err := json.Unmarshal(b, &ps); err != nil {
		return err
	}
	*v = make(Values, len(ps))
	for i, p := range ps {
		(*v)[i] = math.NaN()
		if p != nil {
			(*v)[i] = *p
		}
	}
	return nil
}

// typeOrder puts the busiest objects first, roughly as webrtc-internals does.
var typeOrder = []report.Type{ //nolint:gochecknoglobals // read-only table
	report.TypePeerConnection, report.TypeTransport, report.TypeCandidatePair,
	report.TypeOutboundRTP, report.TypeRemoteInboundRTP, report.TypeInboundRTP,
	report.TypeRemoteOutboundRTP, report.TypeMediaSource, report.TypeMediaPlayout,
	report.TypeDataChannel, report.TypeCodec, report.TypeCSRC,
	report.TypeLocalCandidate, report.TypeRemoteCandidate, report.TypeCertificate,
}

func typeRank(t report.Type) int {
	if i := slices.Index(typeOrder, t); i >= 0 {
		return i
	}
	return len(typeOrder)
}

// State returns a copy of the dashboard's current state.
func (d *Dashboard) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := State{IntervalMs: float64(d.cfg.interval) / 1e6, History: d.cfg.history, Peers: []PeerState{}}
	for name, p := range d.peers {
		ps := PeerState{Name: name, Source: "push", Reports: p.reports, Error: p.err, Objects: []ObjectState{}}
		if p.get != nil {
			ps.Source = "poll"
		}
		for id, o := range p.objects {
			obj := ObjectState{ID: id, Type: o.typ, Gone: o.missing > 0, Members: o.members, Times: slices.Clone(o.win.times)}
			if obj.Members == nil {
				obj.Members = json.RawMessage("null")
			}
			for _, sr := range o.win.series {
				i := slices.IndexFunc(obj.Charts, func(c ChartState) bool { return c.Name == sr.chart })
				if i < 0 {
					obj.Charts = append(obj.Charts, ChartState{Name: sr.chart, Unit: sr.unit})
					i = len(obj.Charts) - 1
				}
				obj.Charts[i].Series = append(obj.Charts[i].Series, SeriesState{Label: sr.label, Values: slices.Clone(Values(sr.values))})
			}
			ps.Objects = append(ps.Objects, obj)
		}
		slices.SortFunc(ps.Objects, func(a, b ObjectState) int {
			return cmp.Or(cmp.Compare(typeRank(a.Type), typeRank(b.Type)), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
		})
		st.Peers = append(st.Peers, ps)
	}
	slices.SortFunc(st.Peers, func(a, b PeerState) int { return cmp.Compare(a.Name, b.Name) })
	return st
}
