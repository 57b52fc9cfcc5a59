#!/usr/bin/env python3
"""Compares two lokal-cli binaries in one sitting: runs `bench --json` alternately, A then B,
several times each, with tracing on and off, and prints the median simulated requests per
second, the ratio B/A and the peak resident memory (the kernel's figure for the whole process,
from getrusage, besides the bench's own sampling).

    scripts/bench_ab.py OLD_BINARY NEW_BINARY [--runs 7] [--requests 3000000]
"""
import argparse
import json
import resource
import statistics
import subprocess


def run(binary, requests, traces):
    args = [binary, "bench", "--json", "--requests", str(requests)]
    if not traces:
        args.append("--no-traces")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures = json.loads(out)
    # ru_maxrss of the children is a running maximum: it only tells when this run raised it.
    figures["process_peak_rss_kb"] = after if after > before else None
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=3_000_000)
    options = parser.parse_args()
    for traces in (True, False):
        rates = {"a": [], "b": []}
        rss = {"a": [], "b": []}
        hashes = {"a": set(), "b": set()}
        for _ in range(options.runs):
            for side in ("a", "b"):
                figures = run(getattr(options, side), options.requests, traces)
                rates[side].append(figures["requests_per_s"])
                rss[side].append(figures["peak_rss_mb"])
                hashes[side].add(figures["trace_hash"])
        label = "tracing on " if traces else "tracing off"
        median_a = statistics.median(rates["a"])
        median_b = statistics.median(rates["b"])
        print(
            f"{label}: A median {median_a / 1e6:.3f} M req/s, B median {median_b / 1e6:.3f} M req/s, "
            f"B/A {median_b / median_a:.3f}; peak RSS A {max(rss['a']):.2f} MB, B {max(rss['b']):.2f} MB; "
            f"trace hashes A {sorted(hashes['a'])} B {sorted(hashes['b'])}"
        )
        print(f"  A runs: {[round(r / 1e6, 3) for r in rates['a']]}")
        print(f"  B runs: {[round(r / 1e6, 3) for r in rates['b']]}")


if __name__ == "__main__":
    main()
