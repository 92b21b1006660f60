package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Violation is one broken rule in a report.
type Violation struct {
	ID     string // key of the object in the report
	Member string // offending member, or "" for the object as a whole
	Rule   string // one of the Rule constants
	Detail string // what is wrong, with the offending value
}

// String returns the violation as `"id".member: rule: detail`.
func (v Violation) String() string {
	if v.Member == "" {
		return fmt.Sprintf("%q: %s: %s", v.ID, v.Rule, v.Detail)
	}
	return fmt.Sprintf("%q.%s: %s: %s", v.ID, v.Member, v.Rule, v.Detail)
}

// Rules a Violation can name.
const (
	RuleKey             = "key"              // map key differs from the object's id
	RuleType            = "type"             // unknown type, or a type the struct does not describe
	RuleJSONType        = "json-type"        // ValidateJSON: value of the wrong JSON type or range
	RuleUnknownMember   = "unknown-member"   // ValidateJSON: not a member of the dictionary; WithoutExtensions: an extension
	RuleRequired        = "required"         // required member missing (JSON) or an empty string
	RuleReference       = "reference"        // *Id member that does not resolve to an object of the right type
	RulePair            = "pair"             // localId/remoteId not mutual, or their ssrc differ
	RuleKind            = "kind"             // kind is not "audio" or "video", or does not fit the struct
	RuleForbiddenMember = "forbidden-member" // member that MUST NOT exist for this kind or type
	RuleFinite          = "finite"           // NaN or infinity
	RuleNegative        = "negative"         // negative value (only packetsLost may be negative)
	RuleRange           = "range"            // fractionLost or audioLevel outside [0, 1]
	RuleEmptyString     = "empty-string"     // optional string present but empty (a placeholder)
	RuleTimestamp       = "timestamp"        // timestamp that is not a plausible ms-since-epoch value
	RuleDSCP            = "dscp"             // perDscp* key that is not a decimal DSCP 0..63
	RuleEnum            = "enum"             // value outside the enum the spec lists
)

// maxTimestamp bounds plausible timestamps (ms since 1970, about year 5138):
// larger values are in the wrong unit (µs, ns). NTP-based members such as
// estimatedPlayoutTimestamp (ms since 1900) stay well below it.
const maxTimestamp = 1e14

// ValidateOption configures Validate and ValidateJSON.
type ValidateOption func(*validateConfig)

type validateConfig struct {
	allowed           map[Type]map[string]bool
	withoutExtensions bool
}

// WithoutExtensions judges reports by the W3C documents alone: the rtcstats
// extension members (MemberInfo.Extension), which Validate and ValidateJSON
// otherwise accept on the dictionary that declares them, are reported as
// unknown members (RuleUnknownMember) unless allowed with
// WithAllowedMembers, like any other member no W3C document defines. It only
// changes what is reported: the typed structs still hold the extensions.
func WithoutExtensions() ValidateOption {
	return func(c *validateConfig) { c.withoutExtensions = true }
}

// WithAllowedMembers accepts extra members in objects of type t, such as a
// browser's non-standard members or documented legacy ones. Their values
// are only checked for being finite.
func WithAllowedMembers(t Type, names ...string) ValidateOption {
	return func(c *validateConfig) {
		if c.allowed[t] == nil {
			c.allowed[t] = map[string]bool{}
		}
		for _, n := range names {
			c.allowed[t][n] = true
		}
	}
}

// Validate checks r against the spec and the house rules: map keys are ids,
// types are known, required strings are not empty, every *Id member resolves
// to an object of the right type and localId/remoteId pairs are mutual with
// equal ssrc, kind is "audio" or "video" and kind-specific members follow
// the spec, numbers are finite and not negative (except packetsLost),
// fractions are in [0, 1], optional strings are not empty, timestamps are
// plausible milliseconds since the epoch and perDscp* keys are DSCP values.
// The rtcstats extension members are checked like spec members, on the
// dictionary that declares them; WithoutExtensions reports them instead.
// Violations come sorted by id, member and rule.
func (r Report) Validate(opts ...ValidateOption) []Violation {
	v := newValidator(opts)
	for _, key := range r.IDs() {
		s := r[key]
		if s == nil {
			v.add(key, "", RuleType, "nil stats object")
			continue
		}
		o, err := toMembers(s)
		if err != nil {
			v.add(key, "", RuleJSONType, err.Error())
			continue
		}
		d, fromJSON := dictOf(s), false
		if d == nil { // UnknownStats or a caller's type: judge it like JSON
			d, fromJSON = dictFor(s.StatsType(), str(o["kind"])), true
		} else {
			if !slices.Contains(d.Types, s.StatsType()) {
				v.add(key, "type", RuleType, fmt.Sprintf("%s cannot have type %q", d.GoName, s.StatsType()))
			}
			if d.Kind != "" && str(o["kind"]) != d.Kind {
				v.add(key, "kind", RuleKind, fmt.Sprintf("%s must have kind %q, has %q", d.GoName, d.Kind, str(o["kind"])))
			}
		}
		v.object(key, o, d, fromJSON)
	}
	v.references()
	return v.result()
}

// ValidateJSON loads a JSON report like Report.UnmarshalJSON and checks it
// like Validate, and also reports what the typed load would hide: members
// that are not in the object's dictionary (unless allowed with
// WithAllowedMembers), values of the wrong JSON type or out of the IDL
// type's range, and missing required members. Members of the wrong type are
// left out of the returned Report. The error is non-nil only when data is
// not a JSON object.
func ValidateJSON(data []byte, opts ...ValidateOption) (Report, []Violation, error) {
	top, err := decodeTop(data)
	if err != nil {
		return nil, nil, err
	}
	v := newValidator(opts)
	r := make(Report, len(top))
	for _, key := range sortedKeys(top) {
		o, ok := top[key].(map[string]any)
		if !ok {
			v.add(key, "", RuleJSONType, "got "+jsonTypeOf(top[key])+", want object")
			continue
		}
		v.object(key, o, dictFor(Type(str(o["type"])), str(o["kind"])), true)
		s, err := statsFrom(o)
		if err != nil { // not expected once mistyped members are gone; keep the data
			u := unknownFrom(o)
			s = &u
			v.add(key, "", RuleJSONType, err.Error())
		}
		r[key] = s
	}
	v.references()
	return r, v.result(), nil
}

type validator struct {
	cfg  validateConfig
	objs map[string]map[string]any // by key, as checked
	out  []Violation
}

func newValidator(opts []ValidateOption) *validator {
	v := &validator{cfg: validateConfig{allowed: map[Type]map[string]bool{}}, objs: map[string]map[string]any{}}
	for _, o := range opts {
		o(&v.cfg)
	}
	return v
}

func (v *validator) add(id, member, rule, detail string) {
	v.out = append(v.out, Violation{ID: id, Member: member, Rule: rule, Detail: detail})
}

func (v *validator) result() []Violation {
	slices.SortStableFunc(v.out, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Member, b.Member), cmp.Compare(a.Rule, b.Rule))
	})
	return v.out
}

// baseMembers are the RTCStats members, the only ones known for unknown types.
var baseMembers = dictCodecStats.Members[:3] //nolint:gochecknoglobals // read-only

// object checks one object's own members. d is its dictionary, nil when the
// type (or media-source kind) is not modelled. In JSON mode members of the
// wrong JSON type are reported and deleted from o.
func (v *validator) object(key string, o map[string]any, d *dictionary, fromJSON bool) {
	v.objs[key] = o
	t, kind := Type(str(o["type"])), str(o["kind"])
	if id, ok := o["id"].(string); ok && id != key {
		v.add(key, "id", RuleKey, fmt.Sprintf("object id %q differs from its key", id))
	}
	members := baseMembers
	switch {
	case d != nil:
		members = d.Members
	case t == TypeMediaSource:
		v.add(key, "kind", RuleKind, fmt.Sprintf("media-source kind %q is neither audio nor video", kind))
	default:
		v.add(key, "type", RuleType, fmt.Sprintf("unknown type %q", t))
	}
	if fromJSON {
		for _, m := range members {
			if _, ok := o[m.Name]; m.Required && !ok {
				v.add(key, m.Name, RuleRequired, "missing")
			}
		}
	}
	for _, name := range sortedKeys(o) {
		x := o[name]
		i := slices.IndexFunc(members, func(m MemberInfo) bool { return m.Name == name })
		// With WithoutExtensions an extension is judged as a member the
		// dictionary does not have, also in a typed struct.
		ext := i >= 0 && members[i].Extension && v.cfg.withoutExtensions
		if i < 0 || ext {
			v.checkUnknown(key, t, d, name, x, fromJSON, ext)
			continue
		}
		m := members[i]
		if fromJSON {
			if msg := checkJSONType(m, x); msg != "" {
				v.add(key, name, RuleJSONType, msg)
				delete(o, name)
				continue
			}
		}
		if x != nil {
			v.value(key, t, kind, m, x)
		}
	}
	if d != nil {
		v.checkKind(key, t, d, o)
	}
}

// checkUnknown checks a member that d does not have (or, with
// WithoutExtensions, an extension member: ext).
func (v *validator) checkUnknown(key string, t Type, d *dictionary, name string, x any, fromJSON, ext bool) {
	if (fromJSON || ext) && d != nil && !v.cfg.allowed[t][name] {
		detail := "not a member of " + d.Name
		if ext {
			detail += " in any W3C document (rtcstats extension; WithoutExtensions)"
		}
		v.add(key, name, RuleUnknownMember, detail)
	} else if !finite(x) {
		v.add(key, name, RuleFinite, "not a finite number")
	}
}

// checkKind checks the kind member of an object whose dictionary d has one.
func (v *validator) checkKind(key string, t Type, d *dictionary, o map[string]any) {
	if !slices.ContainsFunc(d.Members, func(m MemberInfo) bool { return m.Name == "kind" }) {
		return
	}
	if k, ok := o["kind"].(string); ok && k != "" {
		switch {
		case k != "audio" && k != "video":
			v.add(key, "kind", RuleKind, fmt.Sprintf("%q is neither audio nor video", k))
		case t == TypeMediaPlayout && k != "audio":
			v.add(key, "kind", RuleKind, "media-playout is audio only")
		}
	}
}

// value checks one present member whose JSON type is right.
func (v *validator) value(key string, t Type, kind string, m MemberInfo, x any) {
	name := m.Name
	if m.NotForKind != "" && m.NotForKind == kind {
		v.add(key, name, RuleForbiddenMember, "MUST NOT exist for "+kind)
	}
	if m.NotForType != "" && m.NotForType == t {
		v.add(key, name, RuleForbiddenMember, fmt.Sprintf("MUST NOT exist for %s", t))
	}
	switch m.Kind {
	case JSONNumber, JSONInteger:
		v.checkNumber(key, name, x)
	case JSONString:
		v.checkString(key, t, m, x.(string)) //nolint:forcetypeassert // value is called with the member's JSON type
	case JSONRecord:
		v.checkRecord(key, name, x.(map[string]any)) //nolint:forcetypeassert // as above
	case JSONBool: // any boolean is valid
	}
}

// checkNumber checks a number or integer member.
func (v *validator) checkNumber(key, name string, x any) {
	f, _ := number(x)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		v.add(key, name, RuleFinite, fmt.Sprint(f))
	case name == "timestamp" || strings.HasSuffix(name, "Timestamp"):
		if f <= 0 {
			v.add(key, name, RuleTimestamp, fmt.Sprintf("%v is not after 1970 (a zero time.Time gives about -6.2e13)", f))
		} else if f > maxTimestamp {
			v.add(key, name, RuleTimestamp, fmt.Sprintf("%v is too large for milliseconds; wrong unit?", f))
		}
	case f < 0 && !mayBeNegative(name):
		v.add(key, name, RuleNegative, fmt.Sprint(f))
	case (name == "fractionLost" || name == "audioLevel") && f > 1:
		v.add(key, name, RuleRange, fmt.Sprintf("%v is outside [0, 1]", f))
	}
}

// checkString checks a string member, enums included.
func (v *validator) checkString(key string, t Type, m MemberInfo, s string) {
	name := m.Name
	switch {
	case name == "type":
	case s == "" && m.Required:
		v.add(key, name, RuleRequired, "empty")
	case len(m.Enum) > 0 && !slices.Contains(m.Enum, s):
		v.add(key, name, RuleEnum, fmt.Sprintf("%q is not one of %q", s, m.Enum))
	case s == "" && !mayBeEmpty(t, name):
		v.add(key, name, RuleEmptyString, "present but empty; leave it out instead")
	}
}

// mayBeNegative: packetsLost (RFC 3550: duplicates can outnumber losses)
// and the echo losses, in dB, which an echo canceller that amplifies makes
// negative (Chromium reports such values with fake devices).
func mayBeNegative(name string) bool {
	switch name {
	case "packetsLost", "echoReturnLoss", "echoReturnLossEnhancement":
		return true
	}
	return false
}

// mayBeEmpty: a data channel's label and protocol are the RTCDataChannel
// attributes, "" when none was given: the value, not a placeholder.
func mayBeEmpty(t Type, name string) bool {
	return t == TypeDataChannel && (name == "label" || name == "protocol")
}

// checkRecord checks the values, and for perDscp* the keys, of a record.
func (v *validator) checkRecord(key, name string, rec map[string]any) {
	for _, k := range sortedKeys(rec) {
		f, _ := number(rec[k])
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			v.add(key, name, RuleFinite, fmt.Sprintf("[%q] is %v", k, f))
		case f < 0:
			v.add(key, name, RuleNegative, fmt.Sprintf("[%q] is %v", k, f))
		}
		if strings.HasPrefix(name, "perDscp") && !isDSCP(k) {
			v.add(key, name, RuleDSCP, fmt.Sprintf("key %q is not a decimal DSCP 0..63", k))
		}
	}
}

func isDSCP(k string) bool {
	n, err := strconv.Atoi(k)
	return err == nil && n >= 0 && n <= 63 && strconv.Itoa(n) == k
}

// refTarget returns the type an *Id member of an object of type t points at.
func refTarget(t Type, member string) (Type, bool) {
	switch member {
	case "transportId", "rtcpTransportStatsId":
		return TypeTransport, true
	case "codecId":
		return TypeCodec, true
	case "mediaSourceId":
		return TypeMediaSource, true
	case "playoutId":
		return TypeMediaPlayout, true
	case "localCandidateId":
		return TypeLocalCandidate, true
	case "remoteCandidateId":
		return TypeRemoteCandidate, true
	case "selectedCandidatePairId":
		return TypeCandidatePair, true
	case "localCertificateId", "remoteCertificateId", "issuerCertificateId":
		return TypeCertificate, true
	case "inboundRtpStreamId":
		return TypeInboundRTP, true
	case "remoteId":
		switch t {
		case TypeInboundRTP:
			return TypeRemoteOutboundRTP, true
		case TypeOutboundRTP:
			return TypeRemoteInboundRTP, true
		default:
		}
	case "localId":
		switch t {
		case TypeRemoteInboundRTP:
			return TypeOutboundRTP, true
		case TypeRemoteOutboundRTP:
			return TypeInboundRTP, true
		default:
		}
	}
	return "", false
}

// references checks every *Id member the spec defines, once all objects are in.
func (v *validator) references() {
	for _, key := range sortedKeys(v.objs) {
		o := v.objs[key]
		t := Type(str(o["type"]))
		d := dictFor(t, str(o["kind"]))
		if d == nil {
			continue
		}
		for _, m := range d.Members {
			ref, ok := o[m.Name].(string)
			if !ok || ref == "" || !strings.HasSuffix(m.Name, "Id") {
				continue
			}
			target, ok := v.objs[ref]
			if !ok {
				v.add(key, m.Name, RuleReference, fmt.Sprintf("no object %q in the report", ref))
				continue
			}
			tt := Type(str(target["type"]))
			if want, ok := refTarget(t, m.Name); ok && tt != want {
				v.add(key, m.Name, RuleReference, fmt.Sprintf("%q is a %q, want %q", ref, tt, want))
				continue
			}
			if m.Name == "remoteId" || m.Name == "localId" {
				v.pair(key, o, m.Name, ref, target)
			}
		}
	}
}

// pair checks that a local stream and its remote view point at each other
// and describe the same SSRC. An SSRC mismatch of a mutual pair is reported
// once, on the local side.
func (v *validator) pair(key string, o map[string]any, member, ref string, target map[string]any) {
	back := "remoteId"
	if member == "remoteId" {
		back = "localId"
	}
	mutual := target[back] == key
	if !mutual {
		got := "absent"
		if s, ok := target[back].(string); ok {
			got = strconv.Quote(s)
		}
		v.add(key, member, RulePair, fmt.Sprintf("%q does not point back: its %s is %s", ref, back, got))
	}
	if member == "remoteId" || !mutual {
		a, errA := number(o["ssrc"])
		b, errB := number(target["ssrc"])
		if errA == nil && errB == nil && a != b {
			v.add(key, member, RulePair, fmt.Sprintf("ssrc %v differs from %q's ssrc %v", a, ref, b))
		}
	}
}

// checkJSONType returns why x does not fit m, or "".
func checkJSONType(m MemberInfo, x any) string {
	if x == nil {
		if m.Nullable {
			return ""
		}
		return "got null, want " + m.Kind.String()
	}
	switch m.Kind {
	case JSONNumber:
		if _, err := number(x); err != nil {
			return err.Error()
		}
	case JSONInteger:
		return checkInteger(m.IDLType, x)
	case JSONString:
		if _, ok := x.(string); !ok {
			return "got " + jsonTypeOf(x) + ", want string"
		}
	case JSONBool:
		if _, ok := x.(bool); !ok {
			return "got " + jsonTypeOf(x) + ", want boolean"
		}
	case JSONRecord:
		rec, ok := x.(map[string]any)
		if !ok {
			return "got " + jsonTypeOf(x) + ", want record"
		}
		elem := valueIDL(m.IDLType)
		for _, k := range sortedKeys(rec) {
			var msg string
			if _, _, isInt := intBounds(elem); isInt {
				msg = checkInteger(elem, rec[k])
			} else if _, err := number(rec[k]); err != nil {
				msg = err.Error()
			}
			if msg != "" {
				return fmt.Sprintf("[%q]: %s", k, msg)
			}
		}
	}
	return ""
}

func checkInteger(idl string, x any) string {
	lo, hi, _ := intBounds(idl)
	// An integer written as such is checked exactly, as UnmarshalJSON reads
	// it: float64 cannot tell 2^64-1 (a valid unsigned long long) from
	// 2^64, nor 2^63 (too large for a long long) from 2^63-1.
	if n, ok := x.(json.Number); ok {
		if msg, exact := checkExactInteger(idl, n, lo, hi); exact {
			return msg
		}
	}
	f, err := integral(x)
	if err != nil {
		return err.Error()
	}
	// The largest bounds (2^63-1, 2^64-1) round up to 2^63 and 2^64 as
	// float64, which are out of range themselves.
	if f < lo || f > hi || hi >= 0x1p63 && f >= hi {
		return fmt.Sprintf("%v is out of range for %s", x, idl)
	}
	return ""
}

// checkExactInteger checks an integer written as such against the bounds
// of idl. exact is false when n is not an integer that uint64 or int64
// holds; the caller then checks it as a float64.
func checkExactInteger(idl string, n json.Number, lo, hi float64) (msg string, exact bool) {
	if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		maxU := uint64(math.MaxUint64)
		switch {
		case hi < 0x1p63: // exact in float64
			maxU = uint64(hi)
		case hi < 0x1p64: // long long: MaxInt64 rounded up
			maxU = math.MaxInt64
		}
		if u > maxU {
			return fmt.Sprintf("%v is out of range for %s", n, idl), true
		}
		return "", true
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if float64(i) < lo {
			return fmt.Sprintf("%v is out of range for %s", n, idl), true
		}
		return "", true
	}
	return "", false
}

// finite reports whether every number in x is finite.
func finite(x any) bool {
	switch y := x.(type) {
	case map[string]any:
		for _, e := range y {
			if !finite(e) {
				return false
			}
		}
	case []any:
		for _, e := range y {
			if !finite(e) {
				return false
			}
		}
	default:
		if f, err := number(x); err == nil {
			return !math.IsNaN(f) && !math.IsInf(f, 0)
		}
	}
	return true
}

func str(x any) string {
	s, _ := x.(string)
	return s
}
