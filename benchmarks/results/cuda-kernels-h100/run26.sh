#!/bin/bash
# device run 26 (session 9; not run yet: device starts refused): the commands of run25.sh on the code of c2197eb
# (conv_tc_gemm with 32-bit indices, K slices of 32 from K = 96): build; conv specs; conv_layers new vs 4bb9077
# (carry/old); conv_layers at B=1; Nsight Compute stall reasons; the model bench. Carry as run25.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/run25.sh"
