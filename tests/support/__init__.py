"""Test helpers shared by the suite and the benchmarks: a fake Slack, signed requests, plan builders."""
