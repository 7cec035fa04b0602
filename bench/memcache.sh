#!/usr/bin/env bash
# bench/memcache.sh: memcache get, set and 100-key multi-get side by side
# against direct memcached, nutcracker and faed, all on loopback, in one run.
#
# It builds faed and bench/mcload, starts 4 memcached (one thread each) on free
# ports, writes one twemproxy memcache config (ketama, md5,
# server_connections: 1) twice, differing only in `listen`, and runs
# nutcracker with one copy and faed with the other. It fills the key space
# through nutcracker and checks that the keys spread over all 4 servers and
# that faed finds every one of them (same placement); the direct server is
# filled with every key as well. Then for get, set and mget (MGET keys in
# one `get k1 k2 ...`), with CLIENTS connections each doing one request at a
# time (no pipelining), it measures each target R times, interleaved (direct
# nutcracker faed direct nutcracker faed ...), after one uncounted warm-up
# run each, and prints the median operations per second, the median of the
# per-round faed/nutcracker ratios and the proxies' CPU time per request as
# a markdown table on stdout, with nutcracker's error counters and faed's
# get_failed_keys when not zero. Progress goes to stderr.
#
# "direct" is one of the 4 servers, on its own: the usual baseline.
#
# Why md5 and not fnv1a_64 (twemproxy's default): ketama over fnv1a_64 puts
# keys that differ only in their last characters (key:5000 .. key:5099) on one
# server, which would make a multi-get of neighbouring ids a single-server
# request; md5 spreads them as unrelated keys would be. mcload picks keys at
# random, but md5 keeps the test honest for any key pattern.
#
# Usage: bench/memcache.sh         (from anywhere; about 2 minutes)
# Environment:
#   R=3           measurements per (target, test); the median is kept
#   SECS=3        length of one measurement, in seconds
#   CLIENTS=50    concurrent connections
#   KEYSPACE=100000  keys key:0 .. key:N-1, every one set before the gets
#   MGET=100      keys per multi-get request
#   SIZE=100      value size in bytes
#   TESTS="get set mget"
#   HASH=md5      the pool's hash (both proxies)
#   FAED_BIN=path use this faed binary instead of building one
#   NO_FAED=1     measure direct and nutcracker only (faed columns: pending)
#   FAED_ARGS=... extra faed flags, e.g. "-threads 2"
#   KEEP=1        keep the temp dir (configs, logs, raw output) and print its path
set -euo pipefail

R=${R:-3}
SECS=${SECS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
MGET=${MGET:-100}
SIZE=${SIZE:-100}
TESTS=${TESTS:-"get set mget"}
HASH=${HASH:-md5}
NO_FAED=${NO_FAED:-0}
FAED_ARGS=${FAED_ARGS:-}
NSERVERS=4
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-memcache.XXXXXX")
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PATH=$PATH:/usr/sbin # nutcracker's Debian package installs it there
for bin in memcached nutcracker ss go; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install memcached nutcracker iproute2 golang)"
done


# mc_stat PORT NAME: prints memcache stat NAME of the server (or proxy) on
# PORT; reads at most 2s per line, stops at END.
mc_stat() {
	local port=$1 name=$2 line
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'stats\r\n' >&3
	while IFS= read -r -t 2 line <&3; do
		line=${line%$'\r'}
		[[ $line == END || $line == *ERROR* ]] && break
		[[ $line == "STAT $name "* ]] && echo "${line##* }"
	done
	exec 3>&-
}

# --- build --------------------------------------------------------------------
log "building bench/mcload"
(cd "$ROOT" && go build -o "$WORK/mcload" ./bench/mcload) || die "bench/mcload does not build"
faed_binary

# --- servers ------------------------------------------------------------------
MCUSER=()
[[ $(id -u) == 0 ]] && MCUSER=(-u root) # memcached refuses to run as root without -u
MPORTS=()
MPIDS=()
for ((i = 0; i < NSERVERS; i++)); do
	p=$(free_port)
	MPORTS+=("$p")
	start "memcached :$p" "$WORK/memcached-$p.log" memcached "${MCUSER[@]}" -l 127.0.0.1 -p "$p" \
		-U 0 -t 1 -m 256 -c 4096
	MPIDS+=("$LASTPID")
	wait_port "$p" "$LASTPID" "$WORK/memcached-$p.log"
done

NC_PORT=$(free_port)
NC_STATS=$(free_port)
FAED_PORT=$(free_port)

# One config, two copies that differ only in listen. No "redis: true": memcache.
write_conf() { # write_conf FILE PORT
	{
		echo "bench:"
		echo "  listen: 127.0.0.1:$2"
		echo "  hash: $HASH"
		echo "  distribution: ketama"
		echo "  timeout: 10000"
		echo "  server_connections: 1"
		echo "  auto_eject_hosts: false"
		echo "  servers:"
		for ((i = 0; i < NSERVERS; i++)); do
			echo "   - 127.0.0.1:${MPORTS[i]}:1 mc$i"
		done
	} >"$1"
}
write_conf "$WORK/nutcracker.yml" "$NC_PORT"
write_conf "$WORK/faed.yml" "$FAED_PORT"
diff "$WORK/nutcracker.yml" "$WORK/faed.yml" >/dev/null && die "configs should differ in listen" || true

start nutcracker "$WORK/nutcracker.log" nutcracker -c "$WORK/nutcracker.yml" -s "$NC_STATS" -a 127.0.0.1
NC_PID=$LASTPID
wait_port "$NC_PORT" "$LASTPID" "$WORK/nutcracker.log"
if [[ $NO_FAED != 1 ]]; then
	# shellcheck disable=SC2086 # FAED_ARGS is a list of flags
	start faed "$WORK/faed.log" "$FAED" -c "$WORK/faed.yml" $FAED_ARGS
	FAED_PID=$LASTPID
	wait_port "$FAED_PORT" "$LASTPID" "$WORK/faed.log"
fi

TARGETS=(direct nutcracker)
declare -A PORT=([direct]=${MPORTS[0]} [nutcracker]=$NC_PORT)
declare -A TPID=([direct]=${MPIDS[0]} [nutcracker]=$NC_PID)
if [[ $NO_FAED != 1 ]]; then
	TARGETS+=(faed)
	PORT[faed]=$FAED_PORT
	TPID[faed]=$FAED_PID
fi
HZ=$(getconf CLK_TCK)
# cpu_ticks PID: user + system CPU time the process has used, in clock ticks
# (fields 14 and 15 of /proc/PID/stat; the names here hold no spaces).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# mcload TARGET MODE ARGS...: runs bench/mcload against TARGET; its output is
# appended to raw.log and printed; its exit status is mcload's.
mcload() {
	local target=$1 mode=$2 out status=0
	shift 2
	out=$(timeout $((SECS + 60)) "$WORK/mcload" -addr "127.0.0.1:${PORT[$target]}" -mode "$mode" \
		-c "$CLIENTS" -keys "$KEYSPACE" -mget "$MGET" -size "$SIZE" "$@" 2>&1) || status=$?
	printf '%s %s (exit %d): %s\n' "$target" "$mode" "$status" "$(tr '\n' ' ' <<<"$out")" >>"$WORK/raw.log"
	echo "$out"
	return "$status"
}
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -1; }

# --- fill and sanity: spread, same placement ------------------------------------
NOTES=()
log "filling $KEYSPACE keys of $SIZE bytes through nutcracker"
out=$(mcload nutcracker fill) || die "fill through nutcracker failed: $out"
spread=()
for p in "${MPORTS[@]}"; do spread+=("$(mc_stat "$p" curr_items)"); done
log "sanity: keys per server after the fill through nutcracker: ${spread[*]} (hash $HASH)"
for n in "${spread[@]}"; do
	((n > KEYSPACE / NSERVERS / 2)) || NOTES+=("keys spread unevenly over the servers: ${spread[*]}")
done
if [[ $NO_FAED != 1 ]]; then
	# Every key lives only where nutcracker put it: faed must find them all.
	out=$(mcload faed mget -d 1s) || true
	if [[ $(field misses "$out") == 0 && $(field errors "$out") == 0 && $(field hits "$out") -gt 0 ]]; then
		log "sanity: $(field hits "$out") keys written through nutcracker read back through faed ($MGET-key gets), no miss"
	else
		NOTES+=("faed does not read back nutcracker's keys: $(tr '\n' ' ' <<<"$out")")
	fi
fi
# The direct server alone must hit on every key too.
out=$(mcload direct fill) || die "fill of the direct server failed: $out"

# --- benchmark ----------------------------------------------------------------
# run_bench TARGET TEST SECS: prints the ops/s and the CPU time the target
# process spent per operation in microseconds, or "ERR ERR" when the run had
# an error (noted in raw.log) or a miss. The CPU time is the one number here
# that other work on the machine hardly moves.
run_bench() {
	local out ops c0 c1
	c0=$(cpu_ticks "${TPID[$1]}")
	out=$(mcload "$1" "$2" -d "$3s") || {
		echo ERR ERR
		return
	}
	c1=$(cpu_ticks "${TPID[$1]}")
	ops=$(field ops_per_sec "$out")
	[[ $(field misses "$out") == 0 && -n $ops ]] || {
		echo "MISSES $1 $2: $(tr '\n' ' ' <<<"$out")" >>"$WORK/raw.log"
		echo ERR ERR
		return
	}
	echo "$ops $(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$(field ops "$out")" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')"
}

for test in $TESTS; do
	for t in "${TARGETS[@]}"; do
		run_bench "$t" "$test" 1 >/dev/null
	done
done
log "warm-up done; each run lasts ${SECS}s"

declare -A RES CPU
for ((rep = 1; rep <= R; rep++)); do
	for test in $TESTS; do
		for t in "${TARGETS[@]}"; do
			read -r v u <<<"$(run_bench "$t" "$test" "$SECS")"
			RES[$t,$test]+="$v "
			CPU[$t,$test]+="$u "
			log "round $rep/$R  $test  $t: $v ops/s, $u us CPU/op"
		done
	done
done
while IFS= read -r line; do NOTES+=("$line"); done < <(grep -e '(exit [1-9]' -e '^MISSES' "$WORK/raw.log" | cut -c1-300 || true)

# What the proxies counted as errors over the whole run.
nc_stats=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NC_STATS && cat <&3" 2>/dev/null || true)
nc_errs=$(grep -o '"\(server_err\|client_err\|forward_error\|server_timedout\|server_ejects\)":[0-9]*' <<<"$nc_stats" | tr -d '"' |
	awk -F: '{ s[$1] += $2 } END { for (k in s) printf "%s=%d ", k, s[k] }')
log "nutcracker error counters: ${nc_errs:-unavailable}"
[[ -z $nc_errs || $nc_errs =~ =[1-9] ]] && NOTES+=("nutcracker error counters: ${nc_errs:-unavailable}")
if [[ $NO_FAED != 1 ]]; then
	failed=$(mc_stat "$FAED_PORT" get_failed_keys || true)
	log "faed get_failed_keys: ${failed:-unavailable}"
	[[ ${failed:-x} == 0 ]] || NOTES+=("faed get_failed_keys: ${failed:-unavailable}")
	grep -qi -e 'level=ERROR' -e 'level=WARN' "$WORK/faed.log" &&
		NOTES+=("faed logged: $(grep -i -m3 -e 'level=ERROR' -e 'level=WARN' "$WORK/faed.log" | tr '\n' ' ' | cut -c1-300)")
fi

# --- report -------------------------------------------------------------------
# cell VALUES...: the median, and how many runs failed if any did
cell() {
	local m errs
	m=$(median "$@")
	errs=$(printf '%s\n' "$@" | grep -c '^ERR$' || true)
	[[ $m != ERR ]] && m=$(printf '%.0f' "$m")
	((errs)) && m+=" ($errs/$# failed)"
	echo "$m"
}
declare -A NAME=([get]=get [set]=set [mget]="get $MGET keys")
declare -A TARGET=([get]=">= 1.0" [set]=">= 1.0" [mget]=">= 1.5")
echo
echo "bench/mcload -c $CLIENTS -keys $KEYSPACE -size $SIZE, no pipelining, median of $R interleaved runs of ${SECS}s;"
echo "hash $HASH, faed flags: ${FAED_ARGS:-(defaults)}; requests/s (a multi-get request reads $MGET keys); $(($(date +%s) - T0))s in all;"
echo "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)."
echo "per round: median of faed/nutcracker within each round; CPU us/op: median CPU time (user + system) the proxy used per request"
echo
echo "| test | direct ops/s | nutcracker ops/s | faed ops/s | faed/nutcracker | per round | target | CPU us/op nutcracker | CPU us/op faed |"
echo "| --- | --: | --: | --: | --: | --: | --: | --: | --: |"
for test in $TESTS; do
	d=$(cell ${RES[direct,$test]})
	nc=$(cell ${RES[nutcracker,$test]})
	ncu=$(median ${CPU[nutcracker,$test]})
	if [[ $NO_FAED == 1 ]]; then
		f=pending ratio=pending pr=pending fu=pending
	else
		fu=$(median ${CPU[faed,$test]})
		f=$(cell ${RES[faed,$test]})
		ratio=$(awk -v a="${f%% *}" -v b="${nc%% *}" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')
		pr=$(paired "${RES[faed,$test]}" "${RES[nutcracker,$test]}")
	fi
	echo "| ${NAME[$test]:-$test} | $d | $nc | $f | $ratio | $pr | ${TARGET[$test]:-} | $ncu | $fu |"
done
if ((${#NOTES[@]})); then
	echo
	echo "Notes:"
	printf -- '- %s\n' "${NOTES[@]}"
fi
