#!/usr/bin/env bash
# bench/redis.sh: redis-benchmark side by side against direct Redis, nutcracker
# and faed, all on loopback, in one run.
#
# It builds faed, starts 4 redis-server (no persistence) on free ports, writes
# one twemproxy config (ketama, fnv1a_64, redis: true, server_connections: 1)
# twice, differing only in `listen`, and runs nutcracker with one copy and faed
# with the other. Then for GET, SET and MSET (10 keys) at -P 1 and -P 16, with
# -c 50 and -r 100000, it measures each target R times, interleaved
# (direct nutcracker faed direct nutcracker faed ...), and prints the median
# requests per second as a markdown table on stdout. Progress goes to stderr.
#
# "direct" is one of the 4 servers, on its own: the usual baseline.
#
# Usage: bench/redis.sh            (from anywhere; 3-4.5 minutes)
# Environment:
#   R=3           measurements per (target, test, pipeline); the median is kept
#   SECS=3        target length of one measurement, in seconds; -n is sized
#                 per (target, test, pipeline) from the rates seen so far,
#                 starting from one uncounted warm-up run
#   CLIENTS=50    redis-benchmark -c
#   KEYSPACE=100000  redis-benchmark -r
#   TESTS="get set mset"  PIPELINES="1 16"
#   FAED_BIN=path use this faed binary instead of building one
#   NO_FAED=1     measure direct and nutcracker only (faed columns: pending)
#   FAED_ARGS=... extra faed flags, e.g. "-threads 2"
#   KEEP=1        keep the temp dir (configs, logs, raw CSV) and print its path
set -euo pipefail

R=${R:-3}
SECS=${SECS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
TESTS=${TESTS:-"get set mset"}
PIPELINES=${PIPELINES:-"1 16"}
NO_FAED=${NO_FAED:-0}
FAED_ARGS=${FAED_ARGS:-}
NSERVERS=4
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-redis.XXXXXX")
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for bin in redis-server redis-cli redis-benchmark nutcracker ss; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install redis-server redis-tools nutcracker iproute2)"
done


# --- build --------------------------------------------------------------------
faed_binary

# --- servers ------------------------------------------------------------------
RPORTS=()
for ((i = 0; i < NSERVERS; i++)); do
	p=$(free_port)
	RPORTS+=("$p")
	start_redis "$p"
done

NC_PORT=$(free_port)
NC_STATS=$(free_port)
FAED_PORT=$(free_port)

# One config, two copies that differ only in listen.
write_conf() { # write_conf FILE PORT
	{
		echo "bench:"
		echo "  listen: 127.0.0.1:$2"
		echo "  redis: true"
		echo "  hash: fnv1a_64"
		echo "  distribution: ketama"
		echo "  timeout: 10000"
		echo "  server_connections: 1"
		echo "  auto_eject_hosts: false"
		echo "  servers:"
		for ((i = 0; i < NSERVERS; i++)); do
			echo "   - 127.0.0.1:${RPORTS[i]}:1 redis$i"
		done
	} >"$1"
}
write_conf "$WORK/nutcracker.yml" "$NC_PORT"
write_conf "$WORK/faed.yml" "$FAED_PORT"
diff "$WORK/nutcracker.yml" "$WORK/faed.yml" >/dev/null && die "configs should differ in listen" || true

start nutcracker "$WORK/nutcracker.log" nutcracker -c "$WORK/nutcracker.yml" -s "$NC_STATS" -a 127.0.0.1
wait_port "$NC_PORT" "$LASTPID" "$WORK/nutcracker.log"
if [[ $NO_FAED != 1 ]]; then
	# shellcheck disable=SC2086 # FAED_ARGS is a list of flags
	start faed "$WORK/faed.log" "$FAED" -c "$WORK/faed.yml" $FAED_ARGS
	wait_port "$FAED_PORT" "$LASTPID" "$WORK/faed.log"
fi

TARGETS=(direct nutcracker)
declare -A PORT=([direct]=${RPORTS[0]} [nutcracker]=$NC_PORT)
if [[ $NO_FAED != 1 ]]; then
	TARGETS+=(faed)
	PORT[faed]=$FAED_PORT
fi

# --- sanity: both proxies work, MSET across servers, same placement -----------
NOTES=()
check_proxy() { # check_proxy NAME: MSET 10 keys over several servers, MGET them back
	local name=$1 port=${PORT[$1]} args=() keys=() want got i
	for ((i = 0; i < 10; i++)); do
		keys+=("$i:check:$name")
		args+=("$i:check:$name" "v$i-$name")
	done
	got=$(redis-cli -p "$port" mset "${args[@]}" 2>&1)
	[[ $got == OK ]] || { NOTES+=("$name: MSET of 10 keys answered '$got'"); return 1; }
	want=$(printf 'v%s\n' $(for ((i = 0; i < 10; i++)); do echo "$i-$name"; done))
	got=$(redis-cli -p "$port" mget "${keys[@]}" 2>&1)
	[[ $got == "$want" ]] || { NOTES+=("$name: MGET after MSET gave '$(echo $got)'"); return 1; }
	return 0
}
check_proxy nutcracker || die "nutcracker fails the MSET check: ${NOTES[*]}"
used=0
for p in "${RPORTS[@]}"; do
	[[ $(redis-cli -p "$p" --scan --pattern '*:check:nutcracker' | wc -l) -gt 0 ]] && used=$((used + 1))
done
log "sanity: MSET of 10 keys through nutcracker spread over $used of $NSERVERS servers; MGET returns them"
if [[ $NO_FAED != 1 ]]; then
	if check_proxy faed; then
		# Keys written through nutcracker must be read back through faed.
		got=$(redis-cli -p "$FAED_PORT" mget $(printf '%s:check:nutcracker ' {0..9}) | tr '\n' ' ')
		want=$(printf 'v%s-nutcracker ' {0..9})
		if [[ $got == "$want" ]]; then
			log "sanity: faed MSET/MGET works and reads nutcracker's keys from the same servers"
		else
			NOTES+=("faed reads different values than nutcracker wrote: '$got'")
		fi
	fi
fi

# --- benchmark ----------------------------------------------------------------
# run_bench TARGET TEST P N: prints the rps, or ERR when redis-benchmark gave
# no result (it exits at the first error reply).
run_bench() {
	local target=$1 test=$2 p=$3 n=$4 out name rps status
	case $test in
	get) name=GET ;; set) name=SET ;; mset) name="MSET (10 keys)" ;; *) die "unknown test $test" ;;
	esac
	# timeout only guards against a hung proxy; a run should last about SECS.
	out=$(timeout "$(awk -v s="$SECS" 'BEGIN { print int(s * 20 + 60) }')" redis-benchmark -h 127.0.0.1 -p "${PORT[$target]}" \
		-c "$CLIENTS" -n "$n" -P "$p" -r "$KEYSPACE" -t "$test" --csv 2>&1) || true
	rps=$(awk -F'"' -v t="$name" '$2 == t { print $4 }' <<<"$out")
	status=ok
	[[ -z $rps ]] && status=FAILED
	echo "$status $target $test -P $p -n $n: $(grep -v -e '^"test"' -e 'fetch server CONFIG' <<<"$out" | tr '\n' ' ')" >>"$WORK/raw.log"
	echo "${rps:-ERR}"
}

# Fill the key space so GETs hit: every server gets (about 98% of) all the
# keys, so whichever server a proxy picks, and the direct one alone, has them.
log "filling $KEYSPACE keys"
for p in "${RPORTS[@]}"; do
	redis-benchmark -h 127.0.0.1 -p "$p" -c "$CLIENTS" -n $((KEYSPACE * 4)) -P 16 \
		-r "$KEYSPACE" -t set -q >/dev/null 2>&1 || die "fill of :$p failed"
done

# -n is sized per (target, test, pipeline) so that each measurement lasts
# about SECS seconds: from the median rate seen so far, starting with one
# short warm-up run that is not counted.
declare -A N RES SEEN
size_n() { # size_n KEY P: sets N[KEY] from the rates in SEEN[KEY]
	local rate
	rate=$(median ${SEEN[$1]})
	[[ $rate == ERR ]] && rate=10000
	N[$1]=$(awk -v r="$rate" -v s="$SECS" -v p="$2" 'BEGIN { n = int(r * s / p) * p; if (n < 2000) n = 2000; print n }')
}
for test in $TESTS; do
	for p in $PIPELINES; do
		for t in "${TARGETS[@]}"; do
			n=$((5000 * p))
			[[ $test == mset ]] && n=$((1000 * p))
			SEEN[$t,$test,$p]=$(run_bench "$t" "$test" "$p" "$n")
			size_n "$t,$test,$p" "$p"
		done
	done
done
log "warm-up done; each run now lasts about ${SECS}s"

for ((rep = 1; rep <= R; rep++)); do
	for test in $TESTS; do
		for p in $PIPELINES; do
			for t in "${TARGETS[@]}"; do
				k=$t,$test,$p
				v=$(run_bench "$t" "$test" "$p" "${N[$k]}")
				RES[$k]+="$v "
				SEEN[$k]+=" $v"
				size_n "$k" "$p"
				log "round $rep/$R  $test -P $p  $t: $v rps"
			done
		done
	done
done
# run_bench runs in $(...) subshells: collect its failures from raw.log.
while IFS= read -r line; do NOTES+=("$line"); done < <(grep '^FAILED' "$WORK/raw.log" | cut -c1-200 || true)

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
echo
echo "redis-benchmark -c $CLIENTS -r $KEYSPACE, median of $R interleaved runs of about ${SECS}s; faed flags: ${FAED_ARGS:-(defaults)}"
echo "(requests/s; an MSET request sets 10 keys); $(($(date +%s) - T0))s in all;"
echo "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| test | -P | direct rps | nutcracker rps | faed rps | faed/nutcracker |"
echo "| --- | --: | --: | --: | --: | --: |"
for test in $TESTS; do
	for p in $PIPELINES; do
		d=$(cell ${RES[direct,$test,$p]})
		nc=$(cell ${RES[nutcracker,$test,$p]})
		if [[ $NO_FAED == 1 ]]; then
			f=pending ratio=pending
		else
			f=$(cell ${RES[faed,$test,$p]})
			ratio=$(awk -v a="${f%% *}" -v b="${nc%% *}" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')
		fi
		name=$(tr a-z A-Z <<<"$test")
		echo "| $name | $p | $d | $nc | $f | $ratio |"
	done
done
if ((${#NOTES[@]})); then
	echo
	echo "Notes:"
	printf -- '- %s\n' "${NOTES[@]}"
fi
