// Package sweep holds examples of seed sweeps past one machine: a
// Kubernetes Indexed Job (kubernetes/) and a GitHub Actions matrix
// (github/) that run `netsim sweep` in shards and merge the shards'
// ledgers, and a Go test over many seeds with netsimtest.Seeds. README.md
// explains them; the tests here parse the manifests and run their
// commands, shard by shard, as separate processes.
package sweep
