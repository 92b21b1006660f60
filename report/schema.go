package report

import (
	"math"
	"slices"
	"strings"
)

// JSONKind is the JSON shape of a member's value.
type JSONKind uint8

// JSON kinds of members. JSONInteger is a JSON number with an integral value
// in the range of the member's IDL integer type.
const (
	JSONNumber JSONKind = iota + 1
	JSONInteger
	JSONString
	JSONBool
	JSONRecord
)

// String returns the kind's name ("number", "integer", "string",
// "boolean", "record").
func (k JSONKind) String() string {
	switch k {
	case JSONNumber:
		return "number"
	case JSONInteger:
		return "integer"
	case JSONString:
		return "string"
	case JSONBool:
		return "boolean"
	case JSONRecord:
		return "record"
	}
	return "invalid"
}

// MemberInfo describes one member of a stats dictionary as the spec defines
// it, or, when Extension is set, as rtcstats defines it.
type MemberInfo struct {
	Name        string   // member name, also its JSON key
	IDLType     string   // as written in the IDL, e.g. "unsigned long long", "DOMString?"
	Kind        JSONKind // JSON shape of the value
	DeclaredIn  string   // IDL dictionary that declares it (for an extension, the one it extends)
	Required    bool     // a required dictionary member: always present
	Nullable    bool     // its IDL type is nullable (ends in "?")
	Provisional bool     // from webrtc-provisional-stats, not the ED
	Extension   bool     // rtcstats extension, not in any W3C document (see WithoutExtensions)
	NotForKind  string   // "audio" or "video": the member MUST NOT exist for that kind
	NotForType  Type     // the member MUST NOT exist for objects of this type
	Enum        []string // allowed values, when the spec lists them
}

// dictionary is the generated member table of one IDL dictionary.
type dictionary struct {
	Name    string // IDL name
	GoName  string // struct name
	Types   []Type
	Kind    string // set when Types are shared and kind picks the dictionary
	Members []MemberInfo
}

// dictFor returns the dictionary of objects of type t and kind, or nil.
func dictFor(t Type, kind string) *dictionary {
	for _, d := range dictionaries {
		if slices.Contains(d.Types, t) && (d.Kind == "" || d.Kind == kind) {
			return d
		}
	}
	return nil
}

// Members returns the members of objects of type t, including timestamp,
// type and id, in spec order; kind picks the media-source dictionary
// ("audio" or "video") and is ignored for other types. It returns nil for
// a type this package does not model.
func Members(t Type, kind string) []MemberInfo {
	d := dictFor(t, kind)
	if d == nil {
		return nil
	}
	out := slices.Clone(d.Members)
	for i := range out {
		out[i].Enum = slices.Clone(out[i].Enum)
	}
	return out
}

// valueIDL returns the IDL type of a record's values, or idl itself.
func valueIDL(idl string) string {
	rest, ok := strings.CutPrefix(idl, "record<")
	if !ok {
		return strings.TrimSuffix(idl, "?")
	}
	_, v, _ := strings.Cut(strings.TrimSuffix(rest, ">"), ",")
	return strings.TrimSpace(v)
}

// intBounds returns the range of an IDL integer type.
func intBounds(idl string) (lo, hi float64, ok bool) {
	switch idl {
	case "unsigned short":
		return 0, math.MaxUint16, true
	case "unsigned long":
		return 0, math.MaxUint32, true
	case "unsigned long long":
		return 0, math.MaxUint64, true
	case "long":
		return math.MinInt32, math.MaxInt32, true
	case "long long":
		return math.MinInt64, math.MaxInt64, true
	}
	return 0, 0, false
}
