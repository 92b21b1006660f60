package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// Type is a stats object's type, the RTCStatsType string ("inbound-rtp", ...).
type Type string

// Known reports whether t is a type this package models.
func (t Type) Known() bool {
	for _, d := range dictionaries {
		if slices.Contains(d.Types, t) {
			return true
		}
	}
	return false
}

// Stats is one stats object: a pointer to one of the generated dictionary
// structs (*InboundRTPStreamStats, ...) or to UnknownStats.
//
// Absent is not zero. Every optional member is a pointer (records are maps):
// nil means the member does not exist in the object and is left out of its
// JSON, while a pointer to 0 is a counter that exists and has not counted
// yet, and is written as 0. Required members are plain values and are always
// written.
type Stats interface {
	StatsType() Type         // the type member
	StatsID() string         // the id member
	StatsTimestamp() float64 // the timestamp member
}

// Base holds the RTCStats members every stats object has. The generated
// structs embed it, so their JSON is flat like a browser's.
type Base struct {
	// Timestamp is when the object was sampled, in milliseconds since the
	// Unix epoch (a DOMHighResTimeStamp with sub-millisecond precision).
	Timestamp float64 `json:"timestamp"`
	// Type is the object's RTCStatsType.
	Type Type `json:"type"`
	// ID is unique within the report and stable for the object's lifetime.
	ID string `json:"id"`
}

// StatsType returns b.Type.
func (b Base) StatsType() Type { return b.Type }

// StatsID returns b.ID.
func (b Base) StatsID() string { return b.ID }

// StatsTimestamp returns b.Timestamp.
func (b Base) StatsTimestamp() float64 { return b.Timestamp }

// UnknownStats holds an object whose type (or, for "media-source", kind)
// this package does not model, so that a report survives a round trip.
// Members holds every member except timestamp, type and id, as decoded with
// json.Decoder.UseNumber: numbers stay json.Number, so they are written back
// exactly as read.
type UnknownStats struct {
	Base
	Members map[string]any // every other member, by name
}

// MarshalJSON writes the base members and Members as one flat object.
func (u UnknownStats) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(u.Members)+3)
	maps.Copy(m, u.Members)
	m["timestamp"], m["type"], m["id"] = u.Timestamp, u.Type, u.ID
	return json.Marshal(m)
}

// UnmarshalJSON reads a flat object. A base member of the wrong JSON type
// is kept in Members rather than rejected.
func (u *UnknownStats) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*u = unknownFrom(m)
	return nil
}

func unknownFrom(m map[string]any) UnknownStats {
	u := UnknownStats{Members: make(map[string]any, len(m))}
	maps.Copy(u.Members, m)
	if n, ok := m["timestamp"].(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			u.Timestamp = f
			delete(u.Members, "timestamp")
		}
	}
	if s, ok := m["type"].(string); ok {
		u.Type = Type(s)
		delete(u.Members, "type")
	}
	if s, ok := m["id"].(string); ok {
		u.ID = s
		delete(u.Members, "id")
	}
	return u
}
