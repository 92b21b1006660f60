// Package coverage is the field-coverage table of README.md as data: for
// every member of every stats type rtcstats reports, whether it is measured
// here, taken from pion, planned, or not measurable at this layer, and why.
// Tests check that it names every member of the spec (ED and provisional)
// and every rtcstats extension member (report.MemberInfo.Extension),
// that README shows exactly this table, and that every member it claims as
// always present is present in a real loopback report.
package coverage
