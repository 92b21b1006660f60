package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// ErrMalformed is wrapped by every error of Report.UnmarshalJSON and ValidateJSON.
var ErrMalformed = errors.New("report: malformed stats JSON")

// UnmarshalJSON loads a JSON object of stats objects keyed by id, such as
// JSON.stringify(Object.fromEntries(await pc.getStats())) in a browser.
//
// Each object becomes the struct of its type (for "media-source", of its
// kind); members the struct does not have, such as a browser's non-standard
// ones, are dropped, and an object of a type this package does not model
// becomes an UnknownStats. Integer members accept any integral JSON number
// ("1.0", "1e3"), and null is read as absent. A member of the wrong JSON
// type is an error; ValidateJSON reports it instead and loads the rest.
func (r *Report) UnmarshalJSON(data []byte) error {
	top, err := decodeTop(data)
	if err != nil {
		return err
	}
	if *r == nil {
		*r = make(Report, len(top))
	}
	for _, key := range sortedKeys(top) {
		o, ok := top[key].(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %q is not an object", ErrMalformed, key)
		}
		s, err := statsFrom(o)
		if err != nil {
			return fmt.Errorf("%w: object %q: %v", ErrMalformed, key, err)
		}
		(*r)[key] = s
	}
	return nil
}

// decodeTop decodes one JSON object, keeping numbers as json.Number so that
// integers are read exactly.
func decodeTop(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the top-level object", ErrMalformed)
	}
	return top, nil
}

// statsFrom builds the Stats for one decoded object.
func statsFrom(o map[string]any) (Stats, error) {
	t, _ := o["type"].(string)
	kind, _ := o["kind"].(string)
	s := newStats(Type(t), kind)
	if s == nil {
		u := unknownFrom(o)
		return &u, nil
	}
	if err := setStruct(reflect.ValueOf(s).Elem(), o); err != nil {
		return nil, err
	}
	return s, nil
}

// setStruct sets the fields of a generated struct from o, recursing into
// the embedded Base, which reads its members from the same object.
func setStruct(v reflect.Value, o map[string]any) error {
	for i, name := range fields(v.Type()) {
		if name == "" {
			if err := setStruct(v.Field(i), o); err != nil {
				return err
			}
			continue
		}
		x, ok := o[name]
		if !ok || x == nil {
			continue
		}
		if err := setValue(v.Field(i), x); err != nil {
			return fmt.Errorf("member %q: %v", name, err)
		}
	}
	return nil
}

// fieldNames caches fields by struct type: parsing tags dominated the cost
// of loading and validating reports.
var fieldNames sync.Map //nolint:gochecknoglobals // reflect.Type -> []string: derived from types only, like encoding/json's cache

// fields returns the JSON name of each field of a struct, with "" for the
// embedded Base. The result is shared: callers must not modify it.
func fields(t reflect.Type) []string {
	if names, ok := fieldNames.Load(t); ok {
		return names.([]string) //nolint:forcetypeassert // the cache holds only []string
	}
	names := make([]string, t.NumField())
	for i := range names {
		f := t.Field(i)
		if f.Anonymous {
			continue
		}
		names[i], _, _ = strings.Cut(f.Tag.Get("json"), ",")
	}
	fieldNames.Store(t, names)
	return names
}

func setValue(v reflect.Value, x any) error {
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		if err := setValue(e.Elem(), x); err != nil {
			return err
		}
		v.Set(e)
	case reflect.Float64:
		f, err := number(x)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := unsigned(x)
		if err != nil {
			return err
		}
		if v.OverflowUint(u) {
			return fmt.Errorf("%d overflows %s", u, v.Type())
		}
		v.SetUint(u)
	case reflect.Int32, reflect.Int64:
		n, err := signed(x)
		if err != nil {
			return err
		}
		if v.OverflowInt(n) {
			return fmt.Errorf("%d overflows %s", n, v.Type())
		}
		v.SetInt(n)
	case reflect.String:
		s, ok := x.(string)
		if !ok {
			return fmt.Errorf("got %s, want string", jsonTypeOf(x))
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			return fmt.Errorf("got %s, want boolean", jsonTypeOf(x))
		}
		v.SetBool(b)
	case reflect.Map:
		m, ok := x.(map[string]any)
		if !ok {
			return fmt.Errorf("got %s, want record", jsonTypeOf(x))
		}
		mv := reflect.MakeMapWithSize(v.Type(), len(m))
		for k, y := range m {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := setValue(e, y); err != nil {
				return fmt.Errorf("key %q: %v", k, err)
			}
			mv.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(mv)
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

// number returns a JSON number (json.Number, or any Go number a caller put
// in UnknownStats.Members) as float64.
func number(x any) (float64, error) {
	switch n := x.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, fmt.Errorf("number %s out of range", n)
		}
		return f, nil
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int:
		return float64(n), nil
	case int32:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case uint16:
		return float64(n), nil
	case uint32:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	}
	return 0, fmt.Errorf("got %s, want number", jsonTypeOf(x))
}

// integral returns x as float64 when it is an integral number. Browsers and
// tools sometimes write integers as 1.0 or 1e3.
func integral(x any) (float64, error) {
	f, err := number(x)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("%v is not an integer", x)
	}
	return f, nil
}

func unsigned(x any) (uint64, error) {
	if n, ok := x.(json.Number); ok {
		if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
			return u, nil
		}
	}
	f, err := integral(x)
	if err != nil {
		return 0, err
	}
	if f < 0 || f >= 0x1p64 {
		return 0, fmt.Errorf("%v is out of range", x)
	}
	return uint64(f), nil
}

func signed(x any) (int64, error) {
	if n, ok := x.(json.Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := integral(x)
	if err != nil {
		return 0, err
	}
	if f < -0x1p63 || f >= 0x1p63 {
		return 0, fmt.Errorf("%v is out of range", x)
	}
	return int64(f), nil
}

func jsonTypeOf(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if _, err := number(x); err == nil {
		return "number"
	}
	return fmt.Sprintf("%T", x)
}

// toMembers returns a Stats as the decoded-JSON form Validate works on:
// present members only, numbers as float64 (NaN and Inf kept, which JSON
// cannot carry), records as map[string]any. A Stats type of the caller's own
// is taken through its JSON.
func toMembers(s Stats) (map[string]any, error) {
	switch u := s.(type) {
	case *UnknownStats:
		return unknownMembers(*u), nil
	case UnknownStats:
		return unknownMembers(u), nil
	}
	if dictOf(s) == nil {
		data, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		return decodeTop(data)
	}
	o := map[string]any{}
	addFields(o, reflect.Indirect(reflect.ValueOf(s)))
	return o, nil
}

func unknownMembers(u UnknownStats) map[string]any {
	o := make(map[string]any, len(u.Members)+3)
	maps.Copy(o, u.Members)
	o["timestamp"], o["type"], o["id"] = u.Timestamp, string(u.Type), u.ID
	return o
}

func addFields(o map[string]any, v reflect.Value) {
	for i, name := range fields(v.Type()) {
		f := v.Field(i)
		if name == "" {
			addFields(o, f) // Base
			continue
		}
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		if f.Kind() == reflect.Map && f.Len() == 0 {
			continue // omitempty: an empty record is written as absent
		}
		o[name] = plain(f)
	}
}

func plain(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Float64:
		return v.Float()
	case reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint())
	case reflect.Int32, reflect.Int64:
		return float64(v.Int())
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Map:
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = plain(it.Value())
		}
		return m
	default:
		return v.Interface()
	}
}
