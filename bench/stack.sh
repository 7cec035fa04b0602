#!/usr/bin/env bash
# bench/stack.sh: the cost of the client stack on the happy path. One faed
# binary, two processes over the same 4 redis-servers, with TOML configs that
# differ only in client_stack (true: metrics, retry budget, failure accrual,
# health checker; false: requests go straight to the connections). Measured
# with redis-benchmark, interleaved (on off on off ...), medians of R runs.
#
# Usage: bench/stack.sh          (about 2 minutes)
# Environment: R=5 runs per cell; N=200000 requests per run; CLIENTS=50;
#   TESTS="get set"; PIPELINES="1 16"; FAED_BIN, FAED_ARGS, KEEP as in redis.sh.
set -euo pipefail

R=${R:-5}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-"get set"}
PIPELINES=${PIPELINES:-"1 16"}
FAED_ARGS=${FAED_ARGS:-}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-stack.XXXXXX")
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for bin in redis-server redis-benchmark ss; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install redis-server redis-tools iproute2)"
done
faed_binary

SERVERS=()
for ((i = 0; i < 4; i++)); do
	p=$(free_port)
	start_redis "$p"
	SERVERS+=("\"127.0.0.1:$p:1 redis$i\"")
done
declare -A PORT
for v in on off; do
	PORT[$v]=$(free_port)
	stack=true
	[[ $v == off ]] && stack=false
	cat >"$WORK/faed-$v.toml" <<CONF
[pools.bench]
listen = "127.0.0.1:${PORT[$v]}"
servers = [$(
		IFS=,
		echo "${SERVERS[*]}"
	)]
client_stack = $stack
CONF
	# shellcheck disable=SC2086 # FAED_ARGS is a list of flags
	start "faed stack $v" "$WORK/faed-$v.log" "$FAED" -c "$WORK/faed-$v.toml" $FAED_ARGS
	wait_port "${PORT[$v]}" "$LASTPID" "$WORK/faed-$v.log"
done

rps() { # rps PORT TEST P
	redis-benchmark -h 127.0.0.1 -p "$1" -c "$CLIENTS" -n "$N" -P "$3" -r 100000 -t "$2" --csv 2>/dev/null |
		awk -F'"' -v t="${2^^}" '$2 == t { print $4 }'
}

echo "| test | stack on (rps) | stack off (rps) | on/off |"
echo "|---|---|---|---|"
for test in $TESTS; do
	for p in $PIPELINES; do
		rps "${PORT[on]}" "$test" "$p" >/dev/null # warm-up
		rps "${PORT[off]}" "$test" "$p" >/dev/null
		on=() off=()
		for ((r = 0; r < R; r++)); do
			on+=("$(rps "${PORT[on]}" "$test" "$p")")
			off+=("$(rps "${PORT[off]}" "$test" "$p")")
		done
		log "$test -P $p: on ${on[*]} / off ${off[*]}"
		mon=$(median "${on[@]}") moff=$(median "${off[@]}")
		echo "| ${test^^} -P $p | $mon | $moff | $(awk -v a="$mon" -v b="$moff" 'BEGIN { printf "%.3f", a / b }') |"
	done
done
