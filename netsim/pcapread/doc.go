// Package pcapread reads packet captures: classic pcap (microsecond and
// nanosecond timestamps, either byte order) and pcapng (section header,
// interface description, enhanced, simple and obsolete packet blocks, with
// per-interface link type, timestamp resolution and name, and packet
// comments).
//
// A Reader streams frames one at a time without allocating per frame; ReadFile
// loads a whole capture. Malformed input yields an error that names the file
// offset of the bad record, never a panic.
package pcapread
