#!/usr/bin/env bash
# bench/idle.sh: memory held by N idle client connections, nutcracker vs faed.
#
# It builds faed and bench/idle, starts one redis-server (no persistence) on a
# free port, writes one twemproxy config (ketama, fnv1a_64, redis: true) twice,
# differing only in `listen`, and runs nutcracker with one copy and faed with
# the other, side by side. Then, for each proxy in turn, bench/idle opens N
# connections, sends one GET on each, reads the reply, holds them WAIT, and
# reads the proxy's VmRSS. Prints a markdown table on stdout; progress on
# stderr.
#
# Usage: bench/idle.sh             (from anywhere; under a minute)
# Environment:
#   N=10000       client connections (the client and each proxy hold N fds;
#                 the open-file limit must allow it)
#   WAIT=5s       how long the connections are held before VmRSS is read
#                 (faed parks sessions idle for 1s: 5s measures the steady state)
#   FAED_BIN=path use this faed binary instead of building one
#   NO_FAED=1     measure nutcracker only (faed columns: pending)
#   KEEP=1        keep the temp dir (configs, logs) and print its path
set -euo pipefail

N=${N:-10000}
WAIT=${WAIT:-5s}
NO_FAED=${NO_FAED:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-idle.XXXXXX")
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for bin in redis-server redis-cli nutcracker ss go; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install redis-server redis-tools nutcracker iproute2)"
done
# Each process needs N fds plus a few; a child inherits this shell's limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) > N + 100)) || die "open-file limit $(ulimit -n) is too low for N=$N"


# --- build --------------------------------------------------------------------
log "building bench/idle"
(cd "$ROOT" && go build -o "$WORK/idle" ./bench/idle) || die "bench/idle does not build"
faed_binary

# --- servers ------------------------------------------------------------------
RPORT=$(free_port)
start_redis "$RPORT"
redis-cli -p "$RPORT" set idle:key value >/dev/null

NC_PORT=$(free_port)
NC_STATS=$(free_port)
FAED_PORT=$(free_port)

write_conf() { # write_conf FILE PORT: the same config, listening on PORT
	cat >"$1" <<-YML
	idle:
	  listen: 127.0.0.1:$2
	  redis: true
	  hash: fnv1a_64
	  distribution: ketama
	  timeout: 2000
	  server_connections: 1
	  servers:
	   - 127.0.0.1:$RPORT:1 redis0
	YML
}
write_conf "$WORK/nutcracker.yml" "$NC_PORT"
write_conf "$WORK/faed.yml" "$FAED_PORT"

declare -A PORT PID
start nutcracker "$WORK/nutcracker.log" nutcracker -c "$WORK/nutcracker.yml" -s "$NC_STATS" -a 127.0.0.1
PID[nutcracker]=$LASTPID PORT[nutcracker]=$NC_PORT
wait_port "$NC_PORT" "$LASTPID" "$WORK/nutcracker.log"
TARGETS=(nutcracker)
if [[ $NO_FAED != 1 ]]; then
	start faed "$WORK/faed.log" "$FAED" -c "$WORK/faed.yml"
	PID[faed]=$LASTPID PORT[faed]=$FAED_PORT
	wait_port "$FAED_PORT" "$LASTPID" "$WORK/faed.log"
	TARGETS+=(faed)
fi

# --- measure ------------------------------------------------------------------
declare -A BEFORE AFTER PER
for t in "${TARGETS[@]}"; do
	log "$t: opening $N connections"
	out=$("$WORK/idle" -addr "127.0.0.1:${PORT[$t]}" -pid "${PID[$t]}" -n "$N" -wait "$WAIT") ||
		die "$t: $out"
	BEFORE[$t]=$(sed -n 's/^rss_before_kb=//p' <<<"$out")
	AFTER[$t]=$(sed -n 's/^rss_kb=//p' <<<"$out")
	PER[$t]=$(sed -n 's/^per_conn_bytes=//p' <<<"$out")
	log "$t: VmRSS ${BEFORE[$t]} KiB before, ${AFTER[$t]} KiB with $N connections"
done

# --- report -------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
echo "VmRSS of each proxy before and while holding $N idle client connections (one GET served on each)"
echo
echo "| proxy | VmRSS before (MiB) | VmRSS with $N conns (MiB) | per connection (bytes) |"
echo "| --- | --: | --: | --: |"
for t in nutcracker faed; do
	if [[ -n ${AFTER[$t]:-} ]]; then
		echo "| $t | $(mib "${BEFORE[$t]}") | $(mib "${AFTER[$t]}") | ${PER[$t]} |"
	else
		echo "| $t | pending | pending | pending |"
	fi
done
echo
if [[ -n ${AFTER[faed]:-} ]]; then
	echo "faed/nutcracker VmRSS with $N conns: $(awk -v a="${AFTER[faed]}" -v b="${AFTER[nutcracker]}" 'BEGIN { printf "%.2f", a / b }')"
else
	echo "faed/nutcracker VmRSS with $N conns: pending"
fi
