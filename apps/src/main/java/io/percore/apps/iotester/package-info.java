/**
 * {@code ./percore io_tester}: storage workloads through percore's DMA files and I/O scheduler, as Seastar's
 * apps/io_tester does for Seastar. A job is a workload (sequential or random, read or write, request size, requests in
 * flight per shard, file size) in its own I/O class with its shares; every shard that runs a job runs it against its
 * own file, or against one shared file. Jobs come from the command line or a JSON file. The report gives IOPS,
 * bandwidth and latency percentiles (HdrHistogram) per job and shard, and one {@code summary} line per job that
 * {@code ./percore bench io} reads.
 */
package io.percore.apps.iotester;
