#!/bin/bash
# Device run 43 (session 15, H100): main 5abdd29 + sessions 13-14's pending patch (landed as c00fb87), with the carry
# ["carry/bundle", "carry/run43.sh", "carry/addon90", "carry/conv_layers.xz"]: `BUDGET=400 bash carry/run43.sh`. It ran as
# the inline script of e0d788c (`git show e0d788c:benchmarks/results/cuda-kernels-h100/run43.sh`), whose steps are now
# benchmarks/cuda-kernels/device-run.sh's. The repeat (run43/*-b*) was a second call on the same warm machine: its
# conv_layers lines and first bench, into /tmp/r43b, without the specs and ncu.
RUN=43 exec bash benchmarks/cuda-kernels/device-run.sh
