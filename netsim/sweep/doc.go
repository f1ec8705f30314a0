// Package sweep runs one scenario or demo over many seeds, as
// FoundationDB's and TigerBeetle's simulators do: each seed in a worker
// process, many seeds per process, the results kept in a ledger of one
// JSON line per seed ([Record]).
//
// The pieces:
//   - [ParseSeeds] reads a seed list ("1-10000"), and a [Shard] picks a
//     deterministic slice of it, from a flag ([ParseShard]) or from the
//     variables a batch engine sets ([ShardFromEnv]: Kubernetes Indexed
//     Jobs, Bazel's test sharding).
//   - [Run] hands the seeds out to worker processes over their standard
//     input and output, and [Serve] is the worker's side; a worker that
//     dies is recorded as the failure of the seed it was running (its
//     standard error goes to [Config.Crashed]), and a new one takes its
//     place.
//   - A ledger is written with a [Writer] and read with [Read]; [Merge]
//     joins the ledgers of shards, and [Compare] checks that two sweeps of
//     the same seeds, on any two machines, gave the same records.
//
// The package knows nothing of what a seed runs: the caller's worker
// function does (netsim sweep runs a scenario or a demo).
package sweep
