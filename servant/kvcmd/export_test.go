package kvcmd

// ParseLongDouble exposes parseLongDouble to the external fuzz test, which
// takes its seeds from package kvtest.
var ParseLongDouble = parseLongDouble
