package collectors

// vals is storage for the optional members of one snapshot object. The
// report types point at their members (absent = nil); allocating each one
// on its own made GetStats spend most of its time in the allocator. A
// snapshot allocates its object and a vals together, once, and takes the
// members from it; should a type outgrow its array, new covers the rest.
type vals struct {
	u64        [8]uint64
	f64        [8]float64
	u32        [6]uint32
	i64        [2]int64
	str        [3]string
	nu64, nf64 uint8
	nu32, ni64 uint8
	nstr       uint8
}

func (v *vals) uint64(x uint64) *uint64 {
	if int(v.nu64) == len(v.u64) {
		return new(x)
	}
	p := &v.u64[v.nu64]
	v.nu64++
	*p = x
	return p
}

func (v *vals) float64(x float64) *float64 {
	if int(v.nf64) == len(v.f64) {
		return new(x)
	}
	p := &v.f64[v.nf64]
	v.nf64++
	*p = x
	return p
}

func (v *vals) uint32(x uint32) *uint32 {
	if int(v.nu32) == len(v.u32) {
		return new(x)
	}
	p := &v.u32[v.nu32]
	v.nu32++
	*p = x
	return p
}

func (v *vals) int64(x int64) *int64 {
	if int(v.ni64) == len(v.i64) {
		return new(x)
	}
	p := &v.i64[v.ni64]
	v.ni64++
	*p = x
	return p
}

func (v *vals) string(x string) *string {
	if int(v.nstr) == len(v.str) {
		return new(x)
	}
	p := &v.str[v.nstr]
	v.nstr++
	*p = x
	return p
}
