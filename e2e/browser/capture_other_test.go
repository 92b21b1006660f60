//go:build !linux

package browser

import "testing"

type wireCapture struct{}

func startWireCapture(*testing.T) *wireCapture { return nil }

func (in *interop) onTheWire(t *testing.T, _ *wireCapture) { t.Skip("packet capture is Linux-only") }
