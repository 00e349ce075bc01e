#!/bin/bash
# device run 17 (replay skips the model-input call of a frame without change: probeInput, bundle of 49b6e33): the
# commands of run16.sh (build; bench B = 1 with the 2,000-frame no-change split and the probe/read-back A/B; GPU specs,
# shared kernel specs, hostile suites), run as carry/run17.sh
exec bash "$(dirname "${BASH_SOURCE[0]}")/run16.sh"
