//go:build linux

package dscp

import (
	"encoding/binary"
	"syscall"
	"testing"
)

// firstTOS is what parseTOS must find, by the standard library's control
// message parser: the first IP_TOS with at least one data byte or
// IPV6_TCLASS with at least an int, read as the kernel writes them (an int
// in native byte order, or one byte for IPv4).
func firstTOS(msgs []syscall.SocketControlMessage) (uint8, bool) {
	for _, m := range msgs {
		switch {
		case m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TOS && len(m.Data) == 4:
			return uint8(binary.NativeEndian.Uint32(m.Data)), true
		case m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TOS && len(m.Data) >= 1:
			return m.Data[0], true
		case m.Header.Level == syscall.IPPROTO_IPV6 && m.Header.Type == syscall.IPV6_TCLASS && len(m.Data) >= 4:
			return uint8(binary.NativeEndian.Uint32(m.Data)), true
		}
	}
	return 0, false
}

// FuzzParseTOSStdlib compares parseTOS with syscall.ParseSocketControlMessage
// on arbitrary control data, alone and followed by the messages appendTOS
// writes. Wherever the standard library parses the whole buffer, parseTOS
// finds the same first traffic class; where it does not, parseTOS still
// must not panic, and a traffic class it reports must be that of a message
// the standard library parses from a prefix of the buffer.
func FuzzParseTOSStdlib(f *testing.F) {
	f.Add(kernelIPTOS, uint8(0xb8), true, false)
	f.Add(cat(kernelTimestamp, kernelTClass), uint8(0x89), false, true)
	f.Add(kernelTimestamp[:24], uint8(0), true, true)
	f.Add([]byte{16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, uint8(46<<2), true, true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 1, 0, 0, 0}, uint8(1), true, false)
	f.Fuzz(func(t *testing.T, junk []byte, tos uint8, v4, v6 bool) {
		for _, oob := range [][]byte{junk, appendTOS(append([]byte(nil), junk...), tos, v4, v6)} {
			got, ok := parseTOS(oob)
			msgs, err := syscall.ParseSocketControlMessage(oob)
			if err == nil {
				if want, wok := firstTOS(msgs); got != want || ok != wok {
					t.Fatalf("parseTOS(% x) = %#x %v, stdlib %#x %v", oob, got, ok, want, wok)
				}
				continue
			}
			if !ok {
				continue
			}
			// Find the longest prefix of whole messages the stdlib accepts.
			found := false
			for n := len(oob); n >= cmsgHdrLen && !found; n-- {
				if m, err := syscall.ParseSocketControlMessage(oob[:n]); err == nil {
					if want, wok := firstTOS(m); wok && want == got {
						found = true
					}
				}
			}
			if !found {
				t.Fatalf("parseTOS(% x) = %#x from no message the stdlib parses", oob, got)
			}
		}
		// What appendTOS writes after whole messages without a traffic
		// class is found.
		if msgs, err := syscall.ParseSocketControlMessage(junk); err == nil && (v4 || v6) {
			end := 0
			for _, m := range msgs {
				end += alignCmsg(int(m.Header.Len))
			}
			if _, has := firstTOS(msgs); !has && end == len(junk) {
				got, ok := parseTOS(appendTOS(append([]byte(nil), junk...), tos, v4, v6))
				if !ok || got != tos {
					t.Fatalf("appendTOS(%#x) after % x parses as %#x %v", tos, junk, got, ok)
				}
			}
		}
	})
}
