package report

import "slices"

// Report is one getStats() result: stats objects keyed by id. Values are
// pointers to the generated structs (or *UnknownStats), as UnmarshalJSON
// makes them; Filter, Lookup and Delta look for pointers.
//
// A Report marshals with encoding/json as a JSON object keyed by id whose
// values are the flat dictionaries, the same shape as
// JSON.stringify(Object.fromEntries(await pc.getStats())) in a browser.
// Non-finite numbers cannot be marshalled; Validate reports them.
type Report map[string]Stats

// Add stores s under its id.
func (r Report) Add(s Stats) { r[s.StatsID()] = s }

// Get returns the object with the given id, or nil.
func (r Report) Get(id string) Stats { return r[id] }

// IDs returns the report's ids in ascending order.
func (r Report) IDs() []string { return sortedKeys(r) }

// Filter returns the objects of r whose dynamic type is T, ordered by id:
//
//	for _, in := range report.Filter[*report.InboundRTPStreamStats](r) { ... }
func Filter[T Stats](r Report) []T {
	var out []T
	for _, id := range r.IDs() {
		if s, ok := r[id].(T); ok {
			out = append(out, s)
		}
	}
	return out
}

// Lookup returns the object with the given id if its dynamic type is T.
func Lookup[T Stats](r Report, id string) (T, bool) {
	s, ok := r[id].(T)
	return s, ok
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
