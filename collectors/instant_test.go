package collectors

import "time"

// inst is t as an Instant of a collector with the zero Epoch (the Unix
// epoch), as the tests create them.
func inst(t time.Time) Instant { return InstantOf(time.Time{}, t) }
