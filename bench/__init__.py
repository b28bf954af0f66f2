"""`make bench`: sharetrust's calls, throughput, cold start and memory against the local cloud (issue 10)."""
