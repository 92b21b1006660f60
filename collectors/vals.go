package collectors

// vals is storage for the optional members of one snapshot object. The
// report types point at their members (absent = nil); allocating each one
// on its own made GetStats spend most of its time in the allocator. A
// snapshot allocates its object and a vals together, once, and takes the
// members from it; should a type outgrow its array, new covers the rest.
//
// vals holds what inbound-rtp needs at most (with its frame members: 10
// uint32, 8 float64 for audio, 7 uint64): an inboundBox stays within the
// 1024-byte size class.
type vals struct {
	u64                    [7]uint64
	f64                    [8]float64
	u32                    [10]uint32
	i64                    [1]int64
	str                    [2]string
	b                      [1]bool
	nu64, nf64, nu32, ni64 uint8
	nstr, nb               uint8
}

// outVals is vals for an outbound-rtp object and the video media-source
// object its snapshot describes (13 uint32 and 4 float64 between them):
// sized so that the two objects, their members and the allocator's type
// header fill one 768-byte size class.
type outVals struct {
	u64                    [5]uint64
	f64                    [4]float64
	str                    [2]string
	u32                    [13]uint32
	nu64, nf64, nstr, nu32 uint8
}

// memberStore hands out storage for the numeric members of one object:
// vals, outVals (a snapshot's) or frameNums (FrameStats' own, when the
// caller has none).
type memberStore interface {
	uint32(x uint32) *uint32
	float64(x float64) *float64
}

// take returns the next free element of arr (n in use) set to x, or a new
// one when arr is full.
func take[T any](arr []T, n *uint8, x T) *T {
	if int(*n) == len(arr) {
		return new(x)
	}
	p := &arr[*n]
	*n++
	*p = x
	return p
}

func (v *vals) uint64(x uint64) *uint64    { return take(v.u64[:], &v.nu64, x) }
func (v *vals) float64(x float64) *float64 { return take(v.f64[:], &v.nf64, x) }
func (v *vals) uint32(x uint32) *uint32    { return take(v.u32[:], &v.nu32, x) }
func (v *vals) int64(x int64) *int64       { return take(v.i64[:], &v.ni64, x) }
func (v *vals) string(x string) *string    { return take(v.str[:], &v.nstr, x) }
func (v *vals) bool(x bool) *bool          { return take(v.b[:], &v.nb, x) }

func (v *outVals) uint64(x uint64) *uint64    { return take(v.u64[:], &v.nu64, x) }
func (v *outVals) float64(x float64) *float64 { return take(v.f64[:], &v.nf64, x) }
func (v *outVals) uint32(x uint32) *uint32    { return take(v.u32[:], &v.nu32, x) }
func (v *outVals) string(x string) *string    { return take(v.str[:], &v.nstr, x) }
