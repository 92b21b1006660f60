package main

import "testing"

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil || o.addr != "127.0.0.1:8080" || o.loopbackOnly {
		t.Errorf("defaults: %+v %v", o, err)
	}
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:8080"},
		{"-addr", "192.0.2.1:80"},
		{"-addr", "localhost"},
		{"-interval", "0s"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if o, err := parseFlags([]string{"-addr", "[::1]:0", "-loopback-only"}); err != nil || !o.loopbackOnly {
		t.Errorf("::1: %+v %v", o, err)
	}
}
