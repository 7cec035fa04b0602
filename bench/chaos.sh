#!/usr/bin/env bash
# bench/chaos.sh: one of 4 Redis servers is killed under load and restarted,
# behind nutcracker and behind faed with the same config, in one run.
#
# It builds faed and bench/chaosload, starts 4 redis-server (no persistence)
# on free loopback ports and writes one twemproxy config (redis: true,
# fnv1a_64, ketama, auto_eject_hosts: true, server_retry_timeout: 2000,
# server_failure_limit: 2, timeout: 400) twice, differing only in `listen`.
# Then for each proxy in turn (PROXIES, nutcracker first), alone on the host:
#
#   t=0       the proxy runs; two redis-benchmark loops (SET and GET,
#             BENCH_CLIENTS connections in all, -r 100000) give steady load,
#             and bench/chaosload (CLIENTS connections, GET/SET on KEYS keys)
#             measures, every 100 ms, successful requests and errors, split
#             into keys of the server that is killed ("dead keys") and the
#             other keys, plus the commands that server gets from the proxy
#   t=KILL_AT      server DEAD gets SIGKILL
#   t=RESTART_AT   it is restarted on the same port (empty)
#   t=DURATION     the end
#
# and prints each proxy's figures side by side (a markdown table on stdout;
# progress on stderr), then a one-second timeline. The figures, all from
# bench/chaosload (see its doc comment for the exact definitions):
#
#   ok/s before, during, after   median successful requests per second of
#             chaosload over 100 ms intervals: before the kill (from t=1s),
#             between kill and restart, after the restart
#   time to eject   kill -> first 100 ms interval in which dead keys succeed
#             and none fails (the proxy serves them from the other servers);
#             the first and last dead-key errors before it (exact times)
#             bound the burst of errors the kill causes
#   errors    failed requests (error reply, connection closed, 2 s without a
#             reply), for dead keys and for other keys, per phase; "after
#             eject" counts from the eject time to the restart. The issue's
#             target: 0 errors on other keys once the server is marked dead.
#   back in use     restart -> first interval in which the restarted server
#             executes commands from the proxy (polled with INFO)
#   settled   restart -> the later of "back in use" and the last failed
#             request of the run: unlike "time to recover", immune to noise
#   time to recover restart -> start of the first 1 s window with no error
#             at all and a mean ok/s >= 90% (RECOVER_FRAC) of "before"; the
#             issue's target is 2 s plus server_retry_timeout. On a busy host
#             "before" can be a lucky second: "after/before" shows the drift.
#   redis-benchmark exits   times a redis-benchmark loop had to be restarted:
#             it quits at its first error reply (or closed connection), so
#             each exit is a failure a plain client saw; it is restarted at
#             once, but its load pauses for a moment each time
#
# Usage: bench/chaos.sh            (from anywhere; about a minute)
# Environment:
#   PROXIES="nutcracker faed"  proxies to run, in this order
#   DURATION=25 KILL_AT=5 RESTART_AT=15   seconds from the start of the load
#   DEAD=1        index (0-3) of the server that is killed
#   CLIENTS=50    chaosload connections     KEYS=10000  chaosload key space
#   PIPELINE=1    chaosload requests per round trip
#   BENCH_CLIENTS=20  redis-benchmark connections (half SET, half GET); 0: none
#   RECOVER_FRAC=0.9  share of the "before" throughput that counts as recovered
#   RETRY=2000 FAILURE_LIMIT=2 TIMEOUT=400   server_retry_timeout,
#                 server_failure_limit, timeout in the config (ms)
#   FAED_BIN=path use this faed binary instead of building one
#   FAED_ARGS=... extra faed flags, e.g. "-threads 2"
#   KEEP=1        keep the temp dir (configs, logs, chaosload's 100 ms lines)
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME and awk with a decimal point

PROXIES=${PROXIES:-"nutcracker faed"}
DURATION=${DURATION:-25}
KILL_AT=${KILL_AT:-5}
RESTART_AT=${RESTART_AT:-15}
DEAD=${DEAD:-1}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-10000}
PIPELINE=${PIPELINE:-1}
BENCH_CLIENTS=${BENCH_CLIENTS:-20}
RECOVER_FRAC=${RECOVER_FRAC:-0.9}
RETRY=${RETRY:-2000}
FAILURE_LIMIT=${FAILURE_LIMIT:-2}
TIMEOUT=${TIMEOUT:-400}
FAED_ARGS=${FAED_ARGS:-}
NSERVERS=4
T_START=$(date +%s)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-chaos.XXXXXX")
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for bin in redis-server redis-cli redis-benchmark ss go awk timeout; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install redis-server redis-tools nutcracker iproute2)"
done
for p in $PROXIES; do
	case $p in
	nutcracker) command -v nutcracker >/dev/null || die "nutcracker not found (apt-get install nutcracker)" ;;
	faed) ;;
	*) die "unknown proxy $p in PROXIES (want nutcracker and/or faed)" ;;
	esac
done
awk -v k="$KILL_AT" -v r="$RESTART_AT" -v d="$DURATION" 'BEGIN { exit !(1 < k && k < r && r < d) }' ||
	die "need 1 < KILL_AT < RESTART_AT < DURATION"
((DEAD >= 0 && DEAD < NSERVERS)) || die "DEAD must be 0..$((NSERVERS - 1))"

# --- build --------------------------------------------------------------------
log "building bench/chaosload"
(cd "$ROOT" && go build -o "$WORK/chaosload" ./bench/chaosload) || die "bench/chaosload does not build"
if [[ " $PROXIES " == *" faed "* ]]; then faed_binary; fi

# --- helpers ------------------------------------------------------------------
now() { echo "$EPOCHREALTIME"; }
sleep_until() { # sleep_until UNIXTIME; a signal interrupts it at once
	local d s
	d=$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf("%.3f", (d > 0) ? d : 0) }')
	sleep "$d" &
	s=$!
	PIDS+=("$s")
	wait "$s" || true
	drop_pid "$s"
}
drop_pid() { # drop_pid PID: forget a process that has already been reaped
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
stop() { # stop PID: SIGTERM, wait (bounded by the process), forget
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	drop_pid "$1"
}
# wait_listen PORT PID LOG: like wait_port, polling every 5 ms, so that the
# restart time is accurate.
wait_listen() {
	local i
	for ((i = 0; i < 2000; i++)); do
		kill -0 "$2" 2>/dev/null || { cat "$3" >&2 || true; die "pid $2 died before listening on $1"; }
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.005
	done
	die "nothing listens on 127.0.0.1:$1 after 10s"
}

# --- servers ------------------------------------------------------------------
RPORTS=() RPID=()
start_redis() { # start_redis INDEX: (re)starts server INDEX on its port
	local i=$1 p=${RPORTS[$1]}
	mkdir -p "$WORK/redis-$p"
	start "redis-server :$p" "$WORK/redis-$p.log.$EPOCHSECONDS" redis-server --bind 127.0.0.1 --port "$p" \
		--save '' --appendonly no --dir "$WORK/redis-$p" --protected-mode no --daemonize no
	RPID[i]=$LASTPID
	wait_listen "$p" "$LASTPID" "$WORK/redis-$p.log.$EPOCHSECONDS"
}
for ((i = 0; i < NSERVERS; i++)); do
	RPORTS+=("$(free_port)")
	start_redis "$i"
done

# One config; each proxy's copy differs only in listen.
write_conf() { # write_conf FILE PORT
	{
		echo "chaos:"
		echo "  listen: 127.0.0.1:$2"
		echo "  redis: true"
		echo "  hash: fnv1a_64"
		echo "  distribution: ketama"
		echo "  timeout: $TIMEOUT"
		echo "  auto_eject_hosts: true"
		echo "  server_retry_timeout: $RETRY"
		echo "  server_failure_limit: $FAILURE_LIMIT"
		echo "  servers:"
		for ((i = 0; i < NSERVERS; i++)); do
			echo "   - 127.0.0.1:${RPORTS[i]}:1 redis$i"
		done
	} >"$1"
}

# bench_loop PORT TEST CLIENTS UNTIL: redis-benchmark TEST until UNIXTIME,
# started again whenever it quits early; each early exit is logged as "exit".
bench_loop() {
	local port=$1 test=$2 c=$3 until=$4 child='' left rc
	trap '[[ -n $child ]] && kill "$child" 2>/dev/null; exit 0' TERM
	while :; do
		left=$(awk -v u="$until" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.1f", u - n }')
		awk -v l="$left" 'BEGIN { exit !(l > 0.2) }' || break
		timeout "$left" redis-benchmark -h 127.0.0.1 -p "$port" -c "$c" -n 2000000000 -r 100000 -t "$test" -q &
		child=$!
		wait "$child" && rc=0 || rc=$?
		child=''
		[[ $rc == 124 ]] && break # stopped at the end
		echo "exit $rc at $EPOCHREALTIME"
		sleep 0.05
	done
}

declare -A S # S[proxy,key]: chaosload's summary values
declare -A TL # TL[proxy,t]: "ok dead other srv" per second

run_proxy() { # run_proxy NAME
	local name=$1 port pid conf t0 i rb=() p
	port=$(free_port)
	conf=$WORK/$name.yml
	write_conf "$conf" "$port"
	for ((i = 0; i < NSERVERS; i++)); do
		[[ $(redis-cli -p "${RPORTS[i]}" ping 2>&1) == PONG ]] || die "redis-server :${RPORTS[i]} does not answer"
	done
	case $name in
	nutcracker)
		start nutcracker "$WORK/nutcracker.log" nutcracker -c "$conf" -s "$(free_port)" -a 127.0.0.1
		;;
	faed)
		# shellcheck disable=SC2086 # FAED_ARGS is a list of flags
		start faed "$WORK/faed.log" "$FAED" -c "$conf" $FAED_ARGS
		;;
	esac
	pid=$LASTPID
	wait_port "$port" "$pid" "$WORK/$name.log"
	[[ $(redis-cli -p "$port" set chaos:check "$name" 2>&1) == OK ]] || die "$name does not answer SET"

	t0=$(awk -v n="$EPOCHREALTIME" 'BEGIN { printf "%.6f", n + 0.5 }') # load starts at t0 - 0.5
	if ((BENCH_CLIENTS > 0)); then
		start "redis-benchmark SET" "$WORK/$name.bench-set.log" bench_loop "$port" set $(((BENCH_CLIENTS + 1) / 2)) \
			"$(awk -v t="$t0" -v d="$DURATION" 'BEGIN { printf "%.6f", t + d + 0.3 }')"
		rb+=("$LASTPID")
		if ((BENCH_CLIENTS > 1)); then
			start "redis-benchmark GET" "$WORK/$name.bench-get.log" bench_loop "$port" get $((BENCH_CLIENTS / 2)) \
				"$(awk -v t="$t0" -v d="$DURATION" 'BEGIN { printf "%.6f", t + d + 0.3 }')"
			rb+=("$LASTPID")
		fi
	fi
	: >"$WORK/$name.events"
	sleep_until "$t0"
	: >"$WORK/$name.chaos" # exists before the background start redirects into it
	start chaosload "$WORK/$name.chaos" "$WORK/chaosload" -addr "127.0.0.1:$port" -config "$conf" -dead "$DEAD" \
		-label "$name" -events "$WORK/$name.events" -c "$CLIENTS" -keys "$KEYS" -pipeline "$PIPELINE" \
		-duration "${DURATION}s" -recover-frac "$RECOVER_FRAC"
	local cl=$LASTPID c0=''
	# Kill and restart are timed from chaosload's own start, so that they fall
	# where its intervals say.
	for ((i = 0; i < 1000; i++)); do
		c0=$(sed -n 's/^start_unix=//p' "$WORK/$name.chaos")
		[[ -n $c0 ]] && break
		kill -0 "$cl" 2>/dev/null || die "chaosload quit: $(cat "$WORK/$name.chaos")"
		sleep 0.01
	done
	[[ -n $c0 ]] || die "chaosload did not start in 10s"
	log "$name: load running; kill of redis$DEAD (:${RPORTS[DEAD]}) at t=${KILL_AT}s, restart at t=${RESTART_AT}s, end at t=${DURATION}s"

	sleep_until "$(awk -v t="$c0" -v d="$KILL_AT" 'BEGIN { printf "%.6f", t + d }')"
	local killed_at=$EPOCHREALTIME # no failure can come before the signal
	kill -KILL "${RPID[DEAD]}"
	wait "${RPID[DEAD]}" 2>/dev/null || true
	echo "kill $killed_at" >>"$WORK/$name.events"
	drop_pid "${RPID[DEAD]}"
	log "$name: killed redis$DEAD"

	sleep_until "$(awk -v t="$c0" -v d="$RESTART_AT" 'BEGIN { printf "%.6f", t + d }')"
	start_redis "$DEAD"
	echo "restart $EPOCHREALTIME" >>"$WORK/$name.events"
	log "$name: redis$DEAD is back"

	wait "$cl" || die "chaosload failed against $name: $(tail -3 "$WORK/$name.chaos")"
	drop_pid "$cl"
	for p in "${rb[@]}"; do stop "$p"; done
	stop "$pid"

	# Collect the summary and the timeline.
	local k v
	while IFS='=' read -r k v; do
		S[$name,$k]=$v
	done < <(sed -n '/^summary /,$p' "$WORK/$name.chaos" | grep -v '^summary ' | grep '^[a-z_]*=')
	S[$name,before_errs]="${S[$name,dead_err_before]:-?} / ${S[$name,other_err_before]:-?}"
	S[$name,dead_keys]=$(grep -o ' dead_keys=[0-9]*' "$WORK/$name.chaos" | cut -d= -f2)
	S[$name,rb_exits]=$(cat "$WORK/$name".bench-*.log 2>/dev/null | grep -c '^exit ' || true)
	while read -r t ok de oe dl srv; do
		TL[$name,$t]="$ok $de $oe $dl $srv"
	done < <(awk '$1 == "timeline" { for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
		print v["t"], v["ok_per_s"], v["dead_err"], v["other_err"], v["dial_err"], v["srv_cmds_per_s"] }' "$WORK/$name.chaos")
	log "$name: done (eject ${S[$name,eject_s]:-?}s, recover ${S[$name,recover_s]:-?}s)"
}

for p in $PROXIES; do run_proxy "$p"; done

# --- report -------------------------------------------------------------------
read -ra PS <<<"$PROXIES"
TARGET=$(awk -v r="$RETRY" 'BEGIN { printf "%.1f", 2 + r / 1000 }')
first=${PS[0]}
echo
echo "Chaos: 4 redis-server, redis$DEAD (:${RPORTS[DEAD]}, owner of ${S[$first,dead_keys]:-?} of the $KEYS chaosload keys) SIGKILLed at t=${KILL_AT}s, restarted at t=${RESTART_AT}s, end t=${DURATION}s."
echo "Config: ketama fnv1a_64, auto_eject_hosts, server_failure_limit $FAILURE_LIMIT, server_retry_timeout ${RETRY}ms, timeout ${TIMEOUT}ms."
echo "Load: chaosload -c $CLIENTS -pipeline $PIPELINE (GET/SET, measured) + redis-benchmark -c $BENCH_CLIENTS (SET+GET, background); faed flags: ${FAED_ARGS:-(defaults)}."
echo "$(($(date +%s) - T_START))s in all; $(nproc) CPUs; load average at end $(cut -d' ' -f1-3 /proc/loadavg)."
echo
row() { # row LABEL KEY
	local line="| $1 |" p
	for p in "${PS[@]}"; do line+=" ${S[$p,$2]:--} |"; done
	echo "$line"
}
hdr="| figure |" sep="| --- |"
for p in "${PS[@]}"; do hdr+=" $p |" sep+=" --: |"; done
echo "$hdr"
echo "$sep"
row "ok/s before kill (median of 100 ms)" ok_per_s_before
row "ok/s during kill" ok_per_s_during
row "ok/s after restart" ok_per_s_after
row "after/before" after_before_ratio
row "kill at (s)" kill_s
row "first dead-key error, after kill (s)" first_dead_err_s
row "last dead-key error of that burst (s)" last_dead_err_s
row "time to eject (s), 100 ms resolution" eject_s
row "errors on dead keys during kill" dead_err_during
row "... of which after eject (retries)" dead_err_after_eject
row "... 100 ms intervals with them after eject" dead_err_intervals_after_eject
row "errors on other keys during kill" other_err_during
row "... of which after eject (target 0)" other_err_after_eject
row "other keys clean after eject" other_err_ok
row "errors before kill (dead / other keys)" before_errs
row "errors after restart, dead keys" dead_err_after
row "errors after restart, other keys" other_err_after
row "dial errors (whole run)" dial_err_total
row "max latency during kill (ms)" max_latency_ms_during
row "restart at (s)" restart_s
row "restarted server back in use (s)" back_s
row "settled: back in use, no more errors (s)" settle_s
row "time to recover (s), target <= $TARGET" recover_s
row "recovered within target" recover_ok
row "redis-benchmark exits (restarted)" rb_exits

echo
echo "Timeline, per second (ok/s of chaosload; errors on dead keys / other keys (+dial); commands/s the dead server gets):"
echo
hdr="| t |" sep="| --: |"
for p in "${PS[@]}"; do hdr+=" $p ok/s | dead err | other err | srv cmd/s |" sep+=" --: | --: | --: | --: |"; done
echo "$hdr"
echo "$sep"
kill_t=$(awk -v k="$KILL_AT" 'BEGIN { printf "%d", k }')
restart_t=$(awk -v r="$RESTART_AT" 'BEGIN { printf "%d", r }')
for ((t = 0; t < DURATION; t++)); do
	mark=$t
	((t == kill_t)) && mark="$t kill"
	((t == restart_t)) && mark="$t restart"
	line="| $mark |"
	for p in "${PS[@]}"; do
		read -r ok de oe dl srv <<<"${TL[$p,$t]:-- - - - -}"
		[[ $dl != 0 && $dl != - ]] && oe="$oe+$dl"
		line+=" $ok | $de | $oe | $srv |"
	done
	echo "$line"
done
