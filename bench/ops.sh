#!/usr/bin/env bash
# bench/ops.sh: the three targets of the operations issue, measured against
# real servers on loopback, in one run (about 2 minutes):
#
# It builds faed and bench/opsload, starts 3 redis-server (no persistence) and
# 3 memcached on free loopback ports, then runs three parts (PARTS):
#
# 1. reload: reloads under load. faed (native TOML, admin server on) serves a
#    redis pool and a memcache pool, each over 2 of the 3 servers. Load:
#    redis-benchmark -c 20 -P 4 -t set,get -r 100000 -n RB_N -q in a loop (it
#    quits at its first error reply or closed connection, with a non-zero
#    status and "Error..." on stderr: each such exit is a failure a client
#    saw; it is started again at once) and bench/opsload on the memcache pool
#    (MC_CLIENTS connections, MC_PIPELINE gets/sets per round trip), plus
#    IDLE_CLIENTS/4 idle redis clients (opsload, one request every THINK:
#    faed parks them between requests, so reloads find parked sessions).
#    After BEFORE seconds, the config is rewritten RELOADS times, EVERY
#    seconds apart, each time rotating which 2 servers each pool uses and
#    their weights, and POST /reload is sent (it must answer 200
#    {"ok":true}, and /stats must then list the new servers, checked when jq
#    is installed); then the load goes on for AFTER seconds. Target: every
#    reload ok, zero errors.
#    Throughput "before" and "during" is measured on the servers (redis:
#    total_commands_processed over the 3 redis-server, so it counts what
#    faed forwarded) and by opsload (memcache replies).
#
# 2. shutdown: SIGTERM under load. A fresh faed (redis pool over the 3 redis,
#    memcache pool over the 3 memcached, drain_timeout DRAIN) gets three
#    opsload loads: redis SD_CLIENTS connections x SD_PIPELINE pipelined
#    GET/SET, memcache the same, and IDLE_CLIENTS "idle" redis clients that
#    send one request every THINK (faed parks a session idle for 1s, so some
#    are parked at the signal, and the others are asleep when faed ends their
#    connection, so faed waits for them up to 1s: the drain time shows it).
#    TERM_AT seconds after the load starts faed gets SIGTERM; the script
#    waits for it to exit (at most DRAIN + 5s, then SIGKILL). Figures per
#    load (see bench/opsload for the exact meanings):
#      ok                proper replies, whole run
#      error replies     "-ERR"/SERVER_ERROR...: target 0
#      reset/broken/timeout  connection reset, end of file in the middle of a
#                        reply, no reply: requests whose fate the client
#                        cannot know. Target 0.
#      unanswered        requests written after which faed ended the
#                        connection cleanly (end of file after its last
#                        reply): never read, so never executed; safe to
#                        resend. Informational: what draining does to the
#                        requests a client pipelines after the signal.
#      ok after SIGTERM  replies read after the signal: requests drained
#      last reply / last EOF  time from the signal to the last proper reply
#                        and to the last connection faed ended
#    and faed's exit status (target 0) and drain time (SIGTERM -> exit).
#
# 3. cost: metrics and logging. Two faed processes over the same 3 redis:
#    A with [server] metrics = true, log_level = "info", slow_log = "100ms",
#    B with metrics = false, log_level = "error" (both log to a file; pool
#    timeout 10s, so that a stall of a busy host fails no request: that is
#    not what this part measures). redis-benchmark -c 50 -r 100000 -q, GET
#    and SET at -P 1 (-n N1) and -P 16 (-n N16), R rounds;
#    in each round every test runs on A and B back to back (A first in even
#    rounds, B first in odd ones, so neither always runs on a warmer host),
#    after one uncounted warm-up per process. Reported: median requests/s of
#    each, the median of the per-round A/B ratios (target >= 0.95), and the
#    median CPU time faed used per request (utime + stime from /proc, which a
#    busy host disturbs less than the throughput). On a host where other
#    work runs, single runs vary by 30% or more and 5 rounds cannot resolve
#    5%: more, shorter rounds in the same time help (R=15 N1=20000
#    N16=150000).
#
# A markdown summary (for BENCHMARKS.md) goes to stdout; progress to stderr.
#
# Usage: bench/ops.sh              (from anywhere)
# Environment:
#   PARTS="reload shutdown cost"  parts to run, in this order
#   reload:   RELOADS=20 EVERY=0.5 BEFORE=3 AFTER=2 (seconds)
#             RB_N=100000 (redis-benchmark -n of one run of the loop: SET
#             then GET, RB_N each)
#             MC_CLIENTS=20 MC_PIPELINE=4
#   shutdown: TERM_AT=3 DRAIN=10s SD_CLIENTS=50 SD_PIPELINE=8
#             IDLE_CLIENTS=200 THINK=1200ms (also used in part 1)
#   cost:     R=5 N1=60000 N16=400000 COST_CLIENTS=50
#   FAED_BIN=path use this faed binary instead of building one
#   FAED_ARGS=... extra faed flags, e.g. "-threads 2"
#   KEEP=1        keep the temp dir (configs, logs, raw output)
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME and awk with a decimal point

PARTS=${PARTS:-"reload shutdown cost"}
RELOADS=${RELOADS:-20}
EVERY=${EVERY:-0.5}
BEFORE=${BEFORE:-3}
AFTER=${AFTER:-2}
RB_N=${RB_N:-100000}
MC_CLIENTS=${MC_CLIENTS:-20}
MC_PIPELINE=${MC_PIPELINE:-4}
TERM_AT=${TERM_AT:-3}
DRAIN=${DRAIN:-10s}
SD_CLIENTS=${SD_CLIENTS:-50}
SD_PIPELINE=${SD_PIPELINE:-8}
IDLE_CLIENTS=${IDLE_CLIENTS:-200}
THINK=${THINK:-1200ms}
R=${R:-5}
N1=${N1:-60000}
N16=${N16:-400000}
COST_CLIENTS=${COST_CLIENTS:-50}
FAED_ARGS=${FAED_ARGS:-}
NSERVERS=3
T_START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-ops.XXXXXX")
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PATH=$PATH:/usr/sbin
for bin in redis-server redis-cli redis-benchmark memcached curl ss go awk; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install redis-server redis-tools memcached curl iproute2 golang)"
done
for p in $PARTS; do
	case $p in reload | shutdown | cost) ;; *) die "unknown part $p in PARTS (want reload, shutdown, cost)" ;; esac
done
((RELOADS > 0 && R > 0)) || die "need RELOADS > 0 and R > 0"

# --- build --------------------------------------------------------------------
log "building bench/opsload"
(cd "$ROOT" && go build -o "$WORK/opsload" ./bench/opsload) || die "bench/opsload does not build"
faed_binary
[[ -n $FAED ]] || die "NO_FAED=1 makes no sense here: every part measures faed"

# --- helpers ------------------------------------------------------------------
drop_pid() { # drop_pid PID: forget a process that has already been reaped
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
stop() { # stop PID: SIGTERM, wait, forget
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	drop_pid "$1"
}
sleep_until() { # sleep_until UNIXTIME
	local d
	d=$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf("%.3f", (d > 0) ? d : 0) }')
	sleep "$d"
}
dur_ms() { # dur_ms 10s|500ms|2m: a Go-style duration (one unit) in ms
	case $1 in
	*ms) echo "${1%ms}" ;;
	*s) awk -v v="${1%s}" 'BEGIN { printf "%.0f", v * 1000 }' ;;
	*m) awk -v v="${1%m}" 'BEGIN { printf "%.0f", v * 60000 }' ;;
	*) die "bad duration $1 (want e.g. 10s or 500ms)" ;;
	esac
}
# new_port VAR: sets VAR to a free port. free_port run as $(free_port) cannot
# remember what it handed out (a subshell): this does.
new_port() {
	local _np
	_np=$(free_port)
	TAKEN+="$_np "
	printf -v "$1" '%s' "$_np"
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a + b }'; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
# kv FILE KEY: the value of KEY in opsload's key=value output (several per line)
kv() {
	case $2 in
	first_error) sed -n "s/^$2=//p" "$1" | tail -1 ;; # the only value with spaces
	*) tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | tail -1 ;;
	esac
}
# wait_line FILE PATTERN PID: waits (10s) until FILE has a line matching PATTERN
wait_line() {
	local i
	for ((i = 0; i < 1000; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || die "pid $3 quit: $(cat "$1")"
		sleep 0.01
	done
	die "no $2 in $1 after 10s"
}
# exited PID: true once the process is gone or a zombie
exited() {
	local pid comm st
	read -r pid comm st _ 2>/dev/null <"/proc/$1/stat" || return 0
	[[ -z $st || $st == Z ]]
}
redis_cmds() { # the sum of total_commands_processed over the redis servers
	local p n s=0
	for p in "${RPORTS[@]}"; do
		n=$(redis-cli -p "$p" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p')
		s=$((s + ${n:-0}))
	done
	echo "$s"
}
faed_errors() { # faed_errors LOG: the warnings and errors faed logged
	grep -E 'level=(WARN|ERROR)|"level":"(WARN|ERROR)"' "$1" || true
}
start_faed() { # start_faed NAME CONF: sets FPID
	# shellcheck disable=SC2086 # FAED_ARGS is a list of flags
	start "faed ($1)" "$WORK/faed-$1.log" "$FAED" -c "$2" $FAED_ARGS
	FPID=$LASTPID
}

# --- servers ------------------------------------------------------------------
MCUSER=()
[[ $(id -u) == 0 ]] && MCUSER=(-u root) # memcached refuses to run as root without -u
RPORTS=() MPORTS=()
for ((i = 0; i < NSERVERS; i++)); do
	new_port p
	RPORTS+=("$p")
	start_redis "$p"
	new_port p
	MPORTS+=("$p")
	start "memcached :$p" "$WORK/memcached-$p.log" memcached "${MCUSER[@]}" -l 127.0.0.1 -p "$p" \
		-U 0 -t 1 -m 256 -c 4096
	wait_port "$p" "$LASTPID" "$WORK/memcached-$p.log"
done

declare -A F # F[key]: figures for the summary

# --- part 1: reloads under load -----------------------------------------------
# reload_conf FILE I: version I of the config: pool "cache" (redis) over
# servers I%3 and (I+1)%3, pool "mc" (memcache) over (I+1)%3 and (I+2)%3,
# weights changing with I.
reload_conf() {
	local f=$1 i=$2 a b c wa wb
	a=$((i % 3)) b=$(((i + 1) % 3)) c=$(((i + 2) % 3))
	wa=$((1 + i % 2)) wb=$((1 + (i / 2) % 3))
	cat >"$f.tmp" <<-EOF
		# bench/ops.sh reload config, version $i
		[server]
		admin_listen = "127.0.0.1:$ADMIN"

		[pools.cache]
		listen = "127.0.0.1:$RL_PORT"
		distribution = "ketama"
		servers = ["127.0.0.1:${RPORTS[a]}:$wa", "127.0.0.1:${RPORTS[b]}:$wb"]

		[pools.mc]
		listen = "127.0.0.1:$MC_PORT"
		protocol = "memcache"
		distribution = "ketama"
		servers = ["127.0.0.1:${MPORTS[b]}:$wb", "127.0.0.1:${MPORTS[c]}:$wa"]
	EOF
	mv "$f.tmp" "$f" # a reader sees the old file or the new one, never half
	# what /stats must show afterwards, sorted: pool server
	EXPECT=$(printf '%s\n' "cache 127.0.0.1:${RPORTS[a]}" "cache 127.0.0.1:${RPORTS[b]}" \
		"mc 127.0.0.1:${MPORTS[b]}" "mc 127.0.0.1:${MPORTS[c]}" | sort)
}

# bench_forever PORT: redis-benchmark set,get in a loop until SIGTERM; every
# run's end is logged as "exit STATUS at TIME" (0: it did its RB_N requests).
bench_forever() {
	local port=$1 child='' rc
	trap '[[ -n $child ]] && kill "$child" 2>/dev/null; exit 0' TERM
	while :; do
		redis-benchmark -h 127.0.0.1 -p "$port" -c 20 -n "$RB_N" -t set,get -r 100000 -P 4 -q &
		child=$!
		wait "$child" && rc=0 || rc=$?
		child=''
		echo
		echo "exit $rc at $EPOCHREALTIME"
		((rc == 0)) || sleep 0.05
	done
}

part_reload() {
	log "== part 1: $RELOADS reloads under load"
	new_port RL_PORT
	new_port MC_PORT
	new_port ADMIN
	local conf=$WORK/reload.toml marks=$WORK/reload.marks i t code body ok=0 bad=() slow=0 rt
	local -A RC
	reload_conf "$conf" 0
	start_faed reload "$conf"
	local fpid=$FPID
	wait_port "$RL_PORT" "$fpid" "$WORK/faed-reload.log"
	wait_port "$MC_PORT" "$fpid" "$WORK/faed-reload.log"
	wait_port "$ADMIN" "$fpid" "$WORK/faed-reload.log"
	[[ $(redis-cli -p "$RL_PORT" set ops:check 1 2>&1) == OK ]] || die "faed does not answer SET"

	: >"$marks"
	start "opsload memcache" "$WORK/reload.mc.out" "$WORK/opsload" -addr "127.0.0.1:$MC_PORT" -proto memcache \
		-label reload-mc -c "$MC_CLIENTS" -pipeline "$MC_PIPELINE" -d 300s -stop-when-closed=false -marks "$marks"
	local ol=$LASTPID
	start "redis-benchmark loop" "$WORK/reload.bench.log" bench_forever "$RL_PORT"
	local rb=$LASTPID il=''
	if ((IDLE_CLIENTS >= 4)); then
		start "opsload idle" "$WORK/reload.idle.out" "$WORK/opsload" -addr "127.0.0.1:$RL_PORT" -proto redis \
			-label reload-idle -c $((IDLE_CLIENTS / 4)) -pipeline 1 -think "$THINK" -d 300s -stop-when-closed=false -marks "$marks"
		il=$LASTPID
	fi
	wait_line "$WORK/reload.mc.out" '^start_unix=' "$ol"
	sleep 0.5 # connections up, warm
	t=$EPOCHREALTIME RC[before]=$(redis_cmds)
	echo "before $t" >>"$marks" && RT[before]=$t
	sleep "$BEFORE"
	t=$EPOCHREALTIME RC[reloads]=$(redis_cmds)
	echo "reloads $t" >>"$marks" && RT[reloads]=$t
	log "reload: load running; $RELOADS reloads, ${EVERY}s apart"
	for ((i = 1; i <= RELOADS; i++)); do
		t=$EPOCHREALTIME
		reload_conf "$conf" "$i"
		body=$(curl -sS -m 10 -o - -w '\n%{http_code} %{time_total}' -X POST "http://127.0.0.1:$ADMIN/reload" 2>&1) || true
		code=$(tail -1 <<<"$body" | cut -d' ' -f1)
		rt=$(tail -1 <<<"$body" | cut -d' ' -f2)
		body=$(sed '$d' <<<"$body")
		if [[ $code == 200 && $body == *'"ok":true'* ]]; then
			ok=$((ok + 1))
		else
			bad+=("reload $i: HTTP $code $body")
			log "reload $i failed: HTTP $code $body"
		fi
		awk -v a="$rt" -v b="$slow" 'BEGIN { exit !(a > b) }' && slow=$rt
		# faed must serve the new servers now
		if command -v jq >/dev/null; then
			got=$(curl -sS -m 5 "http://127.0.0.1:$ADMIN/stats" | jq -r '.pools[] | .name as $p | .servers[] | "\($p) \(.name)"' | sort)
			[[ $got == "$EXPECT" ]] || bad+=("reload $i: /stats shows $(tr '\n' ',' <<<"$got"), want $(tr '\n' ',' <<<"$EXPECT")")
		fi
		sleep_until "$(add "$t" "$EVERY")"
	done
	t=$EPOCHREALTIME RC[after]=$(redis_cmds)
	echo "after $t" >>"$marks" && RT[after]=$t
	sleep "$AFTER"
	t=$EPOCHREALTIME RC[end]=$(redis_cmds)
	RT[end]=$t
	stop "$rb"
	stop "$ol"
	[[ -n $il ]] && stop "$il"
	local stats
	stats=$(curl -sS -m 5 "http://127.0.0.1:$ADMIN/stats" || true)
	stop "$fpid"

	# redis-benchmark: runs that ended with an error (not 0: the whole -n
	# done; the last one was stopped by the script and logged nothing)
	local exits errs first
	exits=$(grep -c '^exit ' "$WORK/reload.bench.log" || true)
	errs=$(grep '^exit ' "$WORK/reload.bench.log" | grep -vc '^exit 0 ' || true)
	first=$(tr '\r' '\n' <"$WORK/reload.bench.log" | grep -m1 -iE 'error|closed|reset' || true)
	F[rl_reloads]="$ok / $RELOADS"
	F[rl_slowest]=$(awk -v s="$slow" 'BEGIN { printf "%.0f", s * 1000 }')
	F[rl_bad]=$(printf '%s; ' "${bad[@]}")
	F[rl_rb_errs]=$errs
	F[rl_rb_first]=$first
	F[rl_rb_runs]=$((exits - errs))
	rate() { awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" 'BEGIN { printf "%.0f", (b - a) / (t1 - t0) }'; }
	F[rl_redis_before]=$(rate "${RC[before]}" "${RC[reloads]}" "${RT[before]}" "${RT[reloads]}")
	F[rl_redis_during]=$(rate "${RC[reloads]}" "${RC[after]}" "${RT[reloads]}" "${RT[after]}")
	F[rl_redis_after]=$(rate "${RC[after]}" "${RC[end]}" "${RT[after]}" "${RT[end]}")
	F[rl_redis_total]=$((RC[end] - RC[before]))
	local o=$WORK/reload.mc.out
	F[rl_mc_before]=$(kv "$o" phase_before_ok_per_sec)
	F[rl_mc_during]=$(kv "$o" phase_reloads_ok_per_sec)
	F[rl_mc_after]=$(kv "$o" phase_after_ok_per_sec)
	F[rl_mc_ok]=$(kv "$o" ok)
	F[rl_mc_errs]="$(kv "$o" error_replies) / $(kv "$o" failed) / $(kv "$o" unanswered)"
	F[rl_mc_first]=$(kv "$o" first_error)
	if [[ -n $il ]]; then
		o=$WORK/reload.idle.out
		F[rl_idle]="$(kv "$o" ok) / $(kv "$o" error_replies) / $(kv "$o" failed) / $(kv "$o" unanswered)"
		F[rl_idle_first]=$(kv "$o" first_error)
	fi
	if command -v jq >/dev/null && [[ -n $stats ]]; then
		F[rl_stats]=$(jq -r '"reloads_total=\(.reloads_total) reload_errors_total=\(.reload_errors_total); errors by pool, less redis-benchmark'"'"'s CONFIG GET: " +
			([.pools[] | "\(.name)=\(.errors - ([.commands // [] | .[] | select(.name == "config") | .errors] | add // 0))"] | join(" "))' <<<"$stats")
	fi
	F[rl_log]=$(faed_errors "$WORK/faed-reload.log" | wc -l)
	F[rl_log_first]=$(faed_errors "$WORK/faed-reload.log" | head -3)
	log "reload: $ok/$RELOADS reloads ok, redis-benchmark errors $errs, memcache errors/failed/unanswered ${F[rl_mc_errs]}"
}
declare -A RT

# --- part 2: SIGTERM under load -----------------------------------------------
part_shutdown() {
	log "== part 2: SIGTERM under load"
	local rp mp admin conf=$WORK/shutdown.toml marks=$WORK/shutdown.marks i l
	new_port rp
	new_port mp
	new_port admin
	{
		echo "[server]"
		echo "admin_listen = \"127.0.0.1:$admin\""
		echo "drain_timeout = \"$DRAIN\""
		echo
		echo "[pools.cache]"
		echo "listen = \"127.0.0.1:$rp\""
		echo "servers = [$(for p in "${RPORTS[@]}"; do printf '"127.0.0.1:%s:1", ' "$p"; done | sed 's/, $//')]"
		echo
		echo "[pools.mc]"
		echo "listen = \"127.0.0.1:$mp\""
		echo "protocol = \"memcache\""
		echo "servers = [$(for p in "${MPORTS[@]}"; do printf '"127.0.0.1:%s:1", ' "$p"; done | sed 's/, $//')]"
	} >"$conf"
	start_faed shutdown "$conf"
	local fpid=$FPID
	wait_port "$rp" "$fpid" "$WORK/faed-shutdown.log"
	wait_port "$mp" "$fpid" "$WORK/faed-shutdown.log"
	[[ $(redis-cli -p "$rp" set ops:check 1 2>&1) == OK ]] || die "faed does not answer SET"

	: >"$marks"
	local bound=$((TERM_AT + 30))s ols=()
	start "opsload redis" "$WORK/sd.redis.out" "$WORK/opsload" -addr "127.0.0.1:$rp" -proto redis -label redis \
		-c "$SD_CLIENTS" -pipeline "$SD_PIPELINE" -d "$bound" -marks "$marks"
	ols+=("$LASTPID")
	start "opsload memcache" "$WORK/sd.mc.out" "$WORK/opsload" -addr "127.0.0.1:$mp" -proto memcache -label memcache \
		-c "$SD_CLIENTS" -pipeline "$SD_PIPELINE" -d "$bound" -marks "$marks"
	ols+=("$LASTPID")
	if ((IDLE_CLIENTS > 0)); then
		start "opsload idle" "$WORK/sd.idle.out" "$WORK/opsload" -addr "127.0.0.1:$rp" -proto redis -label idle \
			-c "$IDLE_CLIENTS" -pipeline 1 -think "$THINK" -d "$bound" -marks "$marks"
		ols+=("$LASTPID")
	fi
	# each load prints start_unix= once it runs (its output file may not
	# even exist yet: the background child creates it)
	local c0 n=0
	for l in redis mc idle; do
		((n < ${#ols[@]})) || break
		wait_line "$WORK/sd.$l.out" '^start_unix=' "${ols[n]}"
		n=$((n + 1))
	done
	c0=$(sed -n 's/^start_unix=//p' "$WORK/sd.redis.out")
	[[ -n $c0 ]] || die "no start time from opsload"
	log "shutdown: load running; SIGTERM at t=${TERM_AT}s"
	sleep_until "$(add "$c0" "$TERM_AT")"
	local tterm=$EPOCHREALTIME texit rc=0 hung=no
	kill -TERM "$fpid"
	echo "term $tterm" >>"$marks"
	local limit
	limit=$(add "$tterm" "$(($(dur_ms "$DRAIN") / 1000 + 5))")
	while ! exited "$fpid"; do
		if awk -v l="$limit" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n > l) }'; then
			hung=yes
			kill -KILL "$fpid" 2>/dev/null || true
			break
		fi
		sleep 0.002
	done
	texit=$EPOCHREALTIME
	wait "$fpid" || rc=$?
	drop_pid "$fpid"
	F[sd_rc]=$rc
	F[sd_drain]=$(ms_between "$tterm" "$texit")
	F[sd_hung]=$hung
	log "shutdown: faed exited with status $rc, ${F[sd_drain]} ms after SIGTERM"
	# the loads end by themselves (port refused); bound the wait
	for i in "${!ols[@]}"; do
		local p=${ols[i]} j
		for ((j = 0; j < 500; j++)); do exited "$p" && break; sleep 0.01; done
		stop "$p"
	done
	if (exec 3<>"/dev/tcp/127.0.0.1/$rp") 2>/dev/null; then F[sd_port]="still open"; else F[sd_port]="closed"; fi
	F[sd_log]=$(faed_errors "$WORK/faed-shutdown.log" | wc -l)
	F[sd_log_first]=$(faed_errors "$WORK/faed-shutdown.log" | head -3)
	F[sd_stopped]=$(grep -c 'msg=stopped' "$WORK/faed-shutdown.log" || true)
}

# --- part 3: cost of metrics and logging ---------------------------------------
part_cost() {
	log "== part 3: metrics and logging cost, $R rounds"
	local t port admin
	declare -gA CPORT
	for t in A B; do
		new_port port
		new_port admin
		CPORT[$t]=$port
		{
			echo "[server]"
			echo "admin_listen = \"127.0.0.1:$admin\""
			echo "log_file = \"$WORK/faed-cost-$t.file.log\""
			if [[ $t == A ]]; then
				echo 'metrics = true'
				echo 'log_level = "info"'
				echo 'slow_log = "100ms"'
			else
				echo 'metrics = false'
				echo 'log_level = "error"'
			fi
			echo
			echo "[pools.cache]"
			echo "listen = \"127.0.0.1:$port\""
			echo 'timeout = "10s" # a busy host can stall a reply for 1s (the default): not what this part measures' 
			echo "servers = [$(for p in "${RPORTS[@]}"; do printf '"127.0.0.1:%s:1", ' "$p"; done | sed 's/, $//')]"
		} >"$WORK/cost-$t.toml"
		start_faed "cost-$t" "$WORK/cost-$t.toml"
		CPID[$t]=$FPID
		wait_port "$port" "$FPID" "$WORK/faed-cost-$t.log"
	done
	# rb_rps PORT TEST PIPELINE N: one redis-benchmark run; prints req/s or "err"
	rb_rps() {
		local out
		if out=$(redis-benchmark -h 127.0.0.1 -p "$1" -c "$COST_CLIENTS" -n "$4" -t "$2" -P "$3" -r 100000 -q 2>&1); then
			tr '\r' '\n' <<<"$out" | sed -n 's/^[A-Z]*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
		else
			echo "err"
			echo "$out" | tr '\r' '\n' | grep -v '^ *$' | tail -2 >>"$WORK/cost.errors"
		fi
	}
	for t in A B; do # warm-up; fills the keys the GETs read
		rb_rps "${CPORT[$t]}" set 16 "$N16" >/dev/null
	done
	local r test pl n order x v c0 c1
	TESTS=("set 1" "get 1" "set 16" "get 16")
	for ((r = 0; r < R; r++)); do
		order="A B"
		((r % 2)) && order="B A"
		for test in "${TESTS[@]}"; do
			read -r x pl <<<"$test"
			n=$N1
			((pl > 1)) && n=$N16
			for t in $order; do
				c0=$(cpu_ticks "${CPID[$t]}")
				v=$(rb_rps "${CPORT[$t]}" "$x" "$pl" "$n")
				c1=$(cpu_ticks "${CPID[$t]}")
				COST[$t,$x,$pl]+="$v "
				CPU[$t,$x,$pl]+="$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.3f", d * 1e6 / hz / n }') "
			done
		done
		log "cost: round $((r + 1))/$R done"
	done
	if command -v jq >/dev/null; then
		for t in A B; do
			# shellcheck disable=SC2016
			F[cost_cmds_$t]=$(curl -sS -m 5 "http://$(sed -n 's/^admin_listen = "\(.*\)"/\1/p' "$WORK/cost-$t.toml")/stats" |
				jq -r '[.pools[].commands // {} | length] | add' 2>/dev/null || echo '?')
		done
	fi
	for t in A B; do
		stop "${CPID[$t]}"
		F[cost_lines_$t]=$(cat "$WORK/faed-cost-$t.log" "$WORK/faed-cost-$t.file.log" 2>/dev/null | wc -l)
	done
}
declare -A COST CPU CPID
HZ=$(getconf CLK_TCK)
# cpu_ticks PID: user + system CPU time the process has used, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for p in $PARTS; do "part_$p"; done

# --- report -------------------------------------------------------------------
verdict() { if [[ $1 == 1 ]]; then echo "yes"; else echo "**no**"; fi; }
env_line="PARTS=\"$PARTS\" RELOADS=$RELOADS EVERY=$EVERY BEFORE=$BEFORE AFTER=$AFTER RB_N=$RB_N MC_CLIENTS=$MC_CLIENTS MC_PIPELINE=$MC_PIPELINE TERM_AT=$TERM_AT DRAIN=$DRAIN SD_CLIENTS=$SD_CLIENTS SD_PIPELINE=$SD_PIPELINE IDLE_CLIENTS=$IDLE_CLIENTS THINK=$THINK R=$R N1=$N1 N16=$N16 COST_CLIENTS=$COST_CLIENTS"
[[ -n $FAED_ARGS ]] && env_line+=" FAED_ARGS=\"$FAED_ARGS\""
echo
echo "## Operations: reload, shutdown, metrics cost"
echo
echo "Command: \`$env_line bench/ops.sh\`"
echo
echo "3 redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-), 3 memcached $(memcached -V | cut -d' ' -f2), redis-benchmark, bench/opsload, all on loopback; $(nproc) CPUs; faed flags: ${FAED_ARGS:-(defaults)}; $(($(date +%s) - T_START))s in all; load average $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."

if [[ " $PARTS " == *" reload "* ]]; then
	echo
	echo "### 1. $RELOADS reloads under load"
	echo
	echo "faed with a redis pool and a memcache pool, each over 2 of the 3 servers; every ${EVERY}s the config is rewritten (rotating the 2 servers of each pool and their weights) and \`POST /reload\` sent. Load: \`redis-benchmark -c 20 -n $RB_N -t set,get -r 100000 -P 4 -q\` in a loop (it quits at its first error) and bench/opsload memcache -c $MC_CLIENTS -pipeline $MC_PIPELINE (GET/SET). ${BEFORE}s of load before the first reload, ${AFTER}s after the last."
	echo
	echo "| figure | value | target |"
	echo "| --- | --: | --- |"
	echo "| reloads answered 200 {\"ok\":true} | ${F[rl_reloads]} | all |"
	echo "| slowest POST /reload (ms) | ${F[rl_slowest]} | |"
	echo "| redis-benchmark runs that quit on an error | ${F[rl_rb_errs]} | 0 |"
	echo "| redis-benchmark runs completed (-n $RB_N) | ${F[rl_rb_runs]} | |"
	echo "| redis commands executed by the servers, whole load | ${F[rl_redis_total]} | |"
	echo "| redis commands/s before reloads | ${F[rl_redis_before]} | |"
	echo "| redis commands/s during reloads | ${F[rl_redis_during]} | |"
	echo "| redis commands/s after reloads | ${F[rl_redis_after]} | |"
	echo "| memcache replies ok, whole load | ${F[rl_mc_ok]} | |"
	echo "| memcache error replies / failed / unanswered | ${F[rl_mc_errs]} | 0 / 0 / 0 |"
	echo "| memcache ok/s before reloads | ${F[rl_mc_before]} | |"
	echo "| memcache ok/s during reloads | ${F[rl_mc_during]} | |"
	echo "| memcache ok/s after reloads | ${F[rl_mc_after]} | |"
	[[ -n ${F[rl_idle]:-} ]] && echo "| idle redis clients ($((IDLE_CLIENTS / 4)), one request every $THINK): ok / error replies / failed / unanswered | ${F[rl_idle]} | - / 0 / 0 / 0 |"
	echo "| faed log warnings/errors | ${F[rl_log]} | 0 |"
	[[ -n ${F[rl_stats]:-} ]] && echo "| faed /stats at the end | ${F[rl_stats]} | |"
	[[ -n ${F[rl_bad]//; /} ]] && echo && echo "Reload problems: ${F[rl_bad]}"
	[[ -n ${F[rl_rb_first]} ]] && echo && echo "redis-benchmark said: \`${F[rl_rb_first]}\`"
	[[ -n ${F[rl_mc_first]} ]] && echo && echo "opsload (memcache) first error: \`${F[rl_mc_first]}\`"
	[[ -n ${F[rl_idle_first]:-} ]] && echo && echo "opsload (idle redis) first error: \`${F[rl_idle_first]}\`"
	[[ ${F[rl_log]} != 0 ]] && echo && echo '```' && echo "${F[rl_log_first]}" && echo '```'
fi

if [[ " $PARTS " == *" shutdown "* ]]; then
	echo
	echo "### 2. SIGTERM under load"
	echo
	idle_text=""
	((IDLE_CLIENTS > 0)) && idle_text=", plus $IDLE_CLIENTS idle redis clients (one request every $THINK; faed parks sessions idle for 1s)"
	echo "faed (redis pool over the 3 redis, memcache pool over the 3 memcached, drain_timeout $DRAIN) under bench/opsload: redis and memcache -c $SD_CLIENTS -pipeline $SD_PIPELINE each$idle_text. SIGTERM ${TERM_AT}s after the load starts."
	echo
	hdr="| figure |" sep="| --- |"
	loads=(redis mc)
	((IDLE_CLIENTS > 0)) && loads+=(idle)
	for l in "${loads[@]}"; do
		case $l in redis) hdr+=" redis x$SD_PIPELINE |" ;; mc) hdr+=" memcache x$SD_PIPELINE |" ;; idle) hdr+=" idle redis |" ;; esac
		sep+=" --: |"
	done
	echo "$hdr target |"
	echo "$sep --- |"
	srow() { # srow LABEL KEY TARGET
		local line="| $1 |" l
		for l in "${loads[@]}"; do line+=" $(kv "$WORK/sd.$l.out" "$2") |"; done
		echo "$line $3 |"
	}
	srow "replies ok" ok ""
	line="| ... before SIGTERM |"
	for l in "${loads[@]}"; do line+=" $(($(kv "$WORK/sd.$l.out" ok) - $(kv "$WORK/sd.$l.out" term_ok_after))) |"; done
	echo "$line > 0 |"
	srow "ok replies after SIGTERM (drained)" term_ok_after ""
	srow "error replies" error_replies 0
	srow "reset (ECONNRESET/EPIPE)" reset 0
	srow "broken (EOF mid-reply, bad reply)" broken 0
	srow "timeouts" timeouts 0
	srow "unanswered after a clean EOF (safe to resend)" unanswered "informational"
	srow "connections ended by faed with a clean EOF" conns_closed_by_proxy "all"
	srow "SIGTERM -> last ok reply (ms)" term_last_ok_ms ""
	srow "SIGTERM -> last clean EOF (ms)" term_last_eof_ms ""
	srow "reconnects refused afterwards" dial_refused ""
	echo
	echo "| faed | value | target |"
	echo "| --- | --: | --- |"
	echo "| exit status | ${F[sd_rc]} | 0 |"
	echo "| drain time, SIGTERM -> exit (ms) | ${F[sd_drain]} | < drain_timeout |"
	echo "| killed after drain_timeout + 5s | ${F[sd_hung]} | no |"
	echo "| listen port after exit | ${F[sd_port]} | closed |"
	echo "| log warnings/errors | ${F[sd_log]} | 0 |"
	((IDLE_CLIENTS > 0)) && echo && echo "The drain time includes faed's wait (up to 1s) for the idle clients, asleep between requests, to close their end after the end of file."
	if ((IDLE_CLIENTS > 0)) && [[ $(kv "$WORK/sd.idle.out" reset) != 0 ]]; then
		echo
		echo "Resets on idle clients: a request that reaches a connection faed has parked (idle for 1s), in the few ms between SIGTERM and faed closing its parked connections, is never read, and the connection is closed with it unread, which resets it (instead of the clean end of file active connections get)."
	fi
	for l in "${loads[@]}"; do
		if grep -q '^failure ' "$WORK/sd.$l.out"; then
			echo
			echo "opsload $l, failures (time since the start of the load and since SIGTERM):"
			echo
			echo '```'
			grep '^failure ' "$WORK/sd.$l.out" | head -5
			echo '```'
		fi
	done
	[[ ${F[sd_log]} != 0 ]] && echo && echo '```' && echo "${F[sd_log_first]}" && echo '```'
fi

if [[ " $PARTS " == *" cost "* ]]; then
	echo
	echo "### 3. Cost of metrics and logging"
	echo
	echo "Two faed over the same 3 redis (pool timeout 10s, log to a file): A \`metrics = true, log_level = \"info\", slow_log = \"100ms\"\`, B \`metrics = false, log_level = \"error\"\`. \`redis-benchmark -c $COST_CLIENTS -r 100000 -q\`, -n $N1 at -P 1, -n $N16 at -P 16; median of $R runs each, A and B interleaved (A/B ratio: median of the per-round ratios)."
	echo
	echo "| test | A req/s (metrics, info) | B req/s (no metrics, error) | A/B | >= 0.95 | A faed CPU µs/req | B faed CPU µs/req | CPU A/B |"
	echo "| --- | --: | --: | --: | --- | --: | --: | --: |"
	for test in "${TESTS[@]}"; do
		read -r x pl <<<"$test"
		ma=$(median <<<"${COST[A,$x,$pl]}")
		mb=$(median <<<"${COST[B,$x,$pl]}")
		read -ra va <<<"${COST[A,$x,$pl]}"
		read -ra vb <<<"${COST[B,$x,$pl]}"
		ratios=""
		for ((i = 0; i < ${#va[@]}; i++)); do
			[[ ${va[i]} == err || ${vb[i]:-err} == err ]] && continue
			ratios+="$(awk -v a="${va[i]}" -v b="${vb[i]}" 'BEGIN { printf "%.4f", a / b }') "
		done
		ratio=$(median <<<"$ratios")
		okr=$(awk -v r="$ratio" 'BEGIN { print (r != "-" && r >= 0.95) ? 1 : 0 }')
		ca=$(median <<<"${CPU[A,$x,$pl]}")
		cb=$(median <<<"${CPU[B,$x,$pl]}")
		printf '| %s -P %s | %.0f | %.0f | %.3f | %s | %.2f | %.2f | %.2f |\n' "${x^^}" "$pl" "$ma" "$mb" "$ratio" \
			"$(verdict "$okr")" "$ca" "$cb" "$(awk -v a="$ca" -v b="$cb" 'BEGIN { print (b > 0) ? a / b : 0 }')"
	done
	echo
	echo "Runs: $(for t in A B; do for test in "${TESTS[@]}"; do read -r x pl <<<"$test"; printf '%s %s-P%s: %s; ' "$t" "$x" "$pl" "${COST[$t,$x,$pl]% }"; done; done)"
	echo
	echo "Per-command counters in /stats: A ${F[cost_cmds_A]:-?} commands, B ${F[cost_cmds_B]:-?}. Log lines written: A ${F[cost_lines_A]}, B ${F[cost_lines_B]}."
	[[ -s $WORK/cost.errors ]] && echo && echo "redis-benchmark errors: \`$(tr '\n' ' ' <"$WORK/cost.errors")\`"
fi
log "done in $(($(date +%s) - T_START))s"
