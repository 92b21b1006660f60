// Command cmd prints rtcstats' field-coverage table as Markdown, or with -w
// rewrites the table between the coverage markers of the given README.
package main
