#!/usr/bin/env bash
# bench/tiers.sh: Zipf-distributed reads over KEYS keys through faed's tier
# chain lcache -> Redis -> MySQL, against the same reads done the way an
# application does them by hand (GET on Redis; on a miss SELECT from MySQL,
# then SET on Redis), in one run, on one host.
#
# It builds faed and bench/tierload, starts a throwaway MariaDB (its own
# datadir, tmpdir and socket, no binary log, no fsync, a buffer pool that
# holds the table; root@127.0.0.1 with no password), loads table bench.kv
# with KEYS rows (k = "key:N", v = SIZE pseudo-random bytes, any byte value),
# and starts one redis-server (no persistence). Then for each mode of MODES,
# alone on the host and from cold caches (Redis FLUSHALL; for faed, a freshly
# started faed, so its lcache is empty):
#
#   baseline  bench/tierload -mode baseline: CLIENTS connections to Redis and
#             a database/sql pool of CLIENTS MySQL connections (the SELECT
#             prepared); a miss is SELECT then SET ... EX 600
#   faed      bench/tierload -mode faed: CLIENTS connections to the chain pool
#             of this config (tier_ttl 10m, lcache L1_MEMORY: nothing expires
#             during the run, and Redis evicts nothing)
#
#                 [pools.front] tiers = ["l1", "cache", "db"], timeout 2s
#                 [pools.l1]    servant = "lcache"
#                 [pools.cache] the redis-server
#                 [pools.db]    protocol = "mysql", database bench, timeout 1s
#
# Each connection sends one GET at a time, of key:N with N drawn from a Zipf
# distribution (math/rand/v2, exponent ZIPF_S, v = 1; key:0 the hottest) for
# WARMUP seconds (not counted) and then MEASURE seconds. Every reply is
# checked against the loaded value. The figures (bench/tierload's doc comment
# has the exact definitions):
#
#   reads/s     median of the 1 s windows of the measured period
#   hit ratio   measured period: for faed, each tier's hits from /stats (the
#               pool's "chain" object, diffed) over the keys the chain read
#               (its tiers' hits plus its misses); "cache tiers" is l1 +
#               cache. For the baseline, the GETs Redis answered.
#   MySQL queries per read   MariaDB's Com_select (prepared executions
#               included; read with SHOW GLOBAL STATUS, which does not count
#               itself) over the measured period / reads in it
#   MySQL queries per distinct missing key   Com_select over the whole run
#               (warm-up + measured) / the distinct keys the client read.
#               Caches start empty and nothing expires or is evicted during
#               the run, so each distinct key read misses the caches exactly
#               once: this is the number of distinct missing keys, and 1.00
#               means one MySQL read per key however many clients missed it
#               at once. faed's store_reads (keys it read from MySQL) over the
#               same keys is shown next to it, with its coalesced count (reads
#               saved because another request was already reading the key).
#   of reads of keys already read before   the same hits over the measured
#               reads that were not the first read of their key (those must
#               miss, however good the cache: with s=1.1 the tail is long, so
#               the plain hit ratio after a time-bound warm-up depends on how
#               many reads the warm-up did, that is on throughput)
#   MySQL connections opened / statements prepared   MariaDB's Connections
#               and Com_stmt_prepare over the run: a steady pool opens each
#               connection once
#   errors      nil replies (every key exists), wrong values, error replies,
#               I/O errors or timeouts (5 s), over the whole run
#
# The issue's targets: after warm-up >= 95% of reads served by the cache
# tiers; at most one MySQL query per distinct missing key under concurrency;
# faed's throughput >= 2x the baseline's.
#
# Usage: bench/tiers.sh     (from anywhere; about a minute)
# Environment:
#   CLIENTS=50 KEYS=100000 SIZE=100 ZIPF_S=1.1
#   WARMUP=5 MEASURE=10   seconds per mode
#   MODES="baseline faed" modes to run, in this order
#   L1_MEMORY=64MiB  servant_max_memory of the lcache tier: the default holds
#                  every key, so the Redis tier serves nothing; a few MiB make
#                  lcache evict and Redis serve what it lost (Redis keeps
#                  everything, so MySQL still sees each key once)
#   FAED_BIN=path  use this faed binary instead of building one
#   FAED_ARGS=...  extra faed flags, e.g. "-threads 2" (faed's default is
#                  half the CPUs)
#   KEEP=1         keep the temp dir (configs, logs, tierload's output)
set -euo pipefail
export LC_ALL=C

CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-100000}
SIZE=${SIZE:-100}
ZIPF_S=${ZIPF_S:-1.1}
WARMUP=${WARMUP:-5}
MEASURE=${MEASURE:-10}
MODES=${MODES:-"baseline faed"}
L1_MEMORY=${L1_MEMORY:-64MiB}
FAED_ARGS=${FAED_ARGS:-}
T_START=$EPOCHSECONDS

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-tiers.XXXXXX")
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for bin in redis-server redis-cli mariadbd mariadb-install-db mariadb ss go awk curl; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install redis-server redis-tools mariadb-server mariadb-client iproute2 curl)"
done
for m in $MODES; do
	[[ $m == baseline || $m == faed ]] || die "unknown mode $m in MODES (want baseline and/or faed)"
done
((MEASURE >= 1 && WARMUP >= 0)) || die "need MEASURE >= 1 and WARMUP >= 0 (whole seconds)"

# --- build --------------------------------------------------------------------
log "building bench/tierload"
(cd "$ROOT" && go build -o "$WORK/tierload" ./bench/tierload) || die "bench/tierload does not build"
if [[ " $MODES " == *" faed "* ]]; then faed_binary; fi

# --- MariaDB ------------------------------------------------------------------
MY=$WORK/my
mkdir -p "$MY/tmp"
MYPORT=$(free_port)
DSN="root@tcp(127.0.0.1:$MYPORT)/bench"
# speed over durability (no fsync, no doublewrite, no binary log); a buffer
# pool that holds the whole table, so that both modes read MySQL from memory
tuning=(--skip-log-bin --innodb-buffer-pool-size=128M --innodb-log-file-size=32M
	--innodb-flush-method=nosync --innodb-doublewrite=0 "--tmpdir=$MY/tmp")
asroot=()
((EUID == 0)) && asroot=(--user=root) # mariadbd refuses root otherwise
log "mariadb-install-db"
mariadb-install-db --no-defaults "--datadir=$MY/data" --auth-root-authentication-method=normal \
	--skip-test-db --skip-name-resolve "${asroot[@]}" "${tuning[@]}" >"$MY/install.log" 2>&1 ||
	{ cat "$MY/install.log" >&2; die "mariadb-install-db failed"; }
# runs at every start: root may log in over TCP from 127.0.0.1 (name
# resolution, which would map it to root@localhost, is off)
cat >"$MY/init.sql" <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS bench;
SQL
# --no-defaults must come first
start mariadbd "$MY/mariadbd.log" mariadbd --no-defaults "--datadir=$MY/data" --bind-address=127.0.0.1 \
	"--port=$MYPORT" "--socket=$MY/mysqld.sock" "--pid-file=$MY/mysqld.pid" "--init-file=$MY/init.sql" \
	--skip-name-resolve --innodb-flush-log-at-trx-commit=2 --performance-schema=OFF --max-connections=500 \
	"${asroot[@]}" "${tuning[@]}"
MYPID=$LASTPID
sql() { mariadb --no-defaults -h 127.0.0.1 -P "$MYPORT" -u root -N -B -e "$1"; }
for ((i = 0; ; i++)); do
	kill -0 "$MYPID" 2>/dev/null || { cat "$MY/mariadbd.log" >&2; die "mariadbd exited"; }
	# the answer must come from this server, not another that took the port
	[[ $(sql 'SELECT @@pid_file' 2>/dev/null) == "$MY/mysqld.pid" ]] && break
	((i < 600)) || { cat "$MY/mariadbd.log" >&2; die "mariadbd does not answer on :$MYPORT after 30s"; }
	sleep 0.05
done
log "mariadbd up on :$MYPORT; loading $KEYS rows"
"$WORK/tierload" -mode load -mysql "$DSN" -keys "$KEYS" -size "$SIZE" >"$WORK/load.out" || die "loading failed"
log "$(cat "$WORK/load.out")"

# --- Redis --------------------------------------------------------------------
RPORT=$(free_port)
start_redis "$RPORT"

# --- faed config --------------------------------------------------------------
FPORT=$(free_port)
APORT=$(free_port)
cat >"$WORK/faed.toml" <<CONF
[server]
admin_listen = "127.0.0.1:$APORT"

[pools.front]
listen = "127.0.0.1:$FPORT"
tiers = ["l1", "cache", "db"]
timeout = "2s"

[pools.l1]
servant = "lcache"
servant_max_memory = "$L1_MEMORY"
tier_ttl = "10m"

[pools.cache]
servers = ["127.0.0.1:$RPORT:1"]
tier_ttl = "10m"

[pools.db]
protocol = "mysql"
servers = ["127.0.0.1:$MYPORT:1"]
mysql_database = "bench"
timeout = "1s"
CONF

drop_pid() { # drop_pid PID: forget a process that has already been reaped
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

declare -A R # R[mode,key]: tierload's key=value output
run_mode() { # run_mode MODE
	local mode=$1 fpid='' k v args=()
	[[ $(redis-cli -p "$RPORT" flushall) == OK ]] || die "redis FLUSHALL failed"
	[[ $(redis-cli -p "$RPORT" dbsize) == 0 ]] || die "redis is not empty after FLUSHALL"
	case $mode in
	baseline)
		args=(-mode baseline -redis "127.0.0.1:$RPORT")
		;;
	faed)
		# shellcheck disable=SC2086 # FAED_ARGS is a list of flags
		start faed "$WORK/faed.log" "$FAED" -c "$WORK/faed.toml" $FAED_ARGS
		fpid=$LASTPID
		wait_port "$FPORT" "$fpid" "$WORK/faed.log"
		wait_port "$APORT" "$fpid" "$WORK/faed.log"
		args=(-mode faed -addr "127.0.0.1:$FPORT" -admin "127.0.0.1:$APORT" -pool front)
		;;
	esac
	log "$mode: ${WARMUP}s warm-up + ${MEASURE}s measured, $CLIENTS connections"
	"$WORK/tierload" "${args[@]}" -mysql "$DSN" -c "$CLIENTS" -keys "$KEYS" -size "$SIZE" -s "$ZIPF_S" \
		-warmup "${WARMUP}s" -measure "${MEASURE}s" >"$WORK/$mode.out" 2>"$WORK/$mode.err" ||
		{ cat "$WORK/$mode.out" "$WORK/$mode.err" >&2; die "tierload failed in mode $mode"; }
	while IFS='=' read -r k v; do R[$mode,$k]=$v; done <"$WORK/$mode.out"
	log "$mode: $(grep -E '^(reads_per_s|cache_hit_ratio|mysql_q_per_read|mysql_q_per_distinct_key|windows)=' "$WORK/$mode.out" | tr '\n' ' ')"
	if [[ -n $fpid ]]; then
		R[faed,version]=$("$FAED" -V 2>&1 | awk 'NR == 1 { print $NF }')
		R[faed,log_errors]=$(grep -ciE 'level=(warn|error)|"level":"(warn|error)"|panic|fatal' "$WORK/faed.log" || true)
		if ((R[faed,log_errors] > 0)); then
			log "faed logged ${R[faed,log_errors]} warnings/errors; the first:"
			grep -iE 'level=(warn|error)|"level":"(warn|error)"|panic|fatal' "$WORK/faed.log" | head -5 >&2
		fi
		kill "$fpid" 2>/dev/null || true
		wait "$fpid" 2>/dev/null || true
		drop_pid "$fpid"
	fi
}
read -r l1 l5 _ </proc/loadavg
LOADAVG="$l1 $l5"
for m in $MODES; do run_mode "$m"; done

# --- report -------------------------------------------------------------------
g() { echo "${R[$1,$2]:-n/a}"; }
pct() { awk -v r="$1" 'BEGIN { if (r == "n/a" || r == "none") print "n/a"; else printf "%.2f%%", 100 * r }'; }
fmt2() { awk -v r="$1" 'BEGIN { if (r == "n/a" || r == "none") print "n/a"; else printf "%.4f", r }'; }
errs() { # errs MODE: nil/wrong/error replies/io errors
	[[ -n ${R[$1,mode]:-} ]] || { echo "n/a"; return; }
	echo "$(g "$1" nil) / $(g "$1" wrong) / $(g "$1" err_reply) / $(g "$1" io_err)"
}
yes_no() { if [[ $1 == 1 ]]; then echo "yes"; else echo "**no**"; fi; }

has_b=0 has_f=0
[[ -n ${R[baseline,mode]:-} ]] && has_b=1
[[ -n ${R[faed,mode]:-} ]] && has_f=1
speedup=n/a met_speed=n/a met_hit=n/a met_coal=n/a
if ((has_b && has_f)); then
	speedup=$(awk -v f="$(g faed reads_per_s)" -v b="$(g baseline reads_per_s)" 'BEGIN { printf "%.2f", f / b }')
	met_speed=$(yes_no "$(awk -v s="$speedup" 'BEGIN { print (s >= 2) ? 1 : 0 }')")
fi
if ((has_f)); then
	met_hit=$(yes_no "$(awk -v r="$(g faed cache_hit_ratio)" 'BEGIN { print (r != "none" && r >= 0.95) ? 1 : 0 }')")
	met_coal=$(yes_no "$(awk -v r="$(g faed mysql_q_per_distinct_key)" 'BEGIN { print (r != "none" && r <= 1) ? 1 : 0 }')")
fi
tiers=$(g faed tiers)

echo
echo "### Tier chain: lcache -> Redis -> MySQL vs client-side read-through"
echo
echo "Zipf s=$ZIPF_S over $KEYS keys ($SIZE-byte values), $CLIENTS connections, one GET at a time;" \
	"${WARMUP}s warm-up then ${MEASURE}s measured per mode, caches cold at the start of each; faed's lcache tier $L1_MEMORY."
echo "Host: $(nproc) CPUs (load average ${LOADAVG% *} before the load); MariaDB $(sql 'SELECT VERSION()' 2>/dev/null || echo '?'), Redis $(redis-server --version | awk '{ sub(/^v=/, "", $3); print $3 }'); faed ${R[faed,version]:-n/a}${FAED_ARGS:+ ($FAED_ARGS)}."
echo
echo "| | client-side baseline | faed chain | target | met |"
echo "|---|---|---|---|---|"
[[ $speedup != n/a ]] && met_speed+=" (${speedup}x)"
echo "| reads/s (median of 1 s windows) | $(g baseline reads_per_s) | $(g faed reads_per_s) | faed >= 2x baseline | $met_speed |"
echo "| read latency p50 / p99 (us) | $(g baseline p50_us) / $(g baseline p99_us) | $(g faed p50_us) / $(g faed p99_us) | | |"
echo "| reads served by the cache tiers (measured) | $(pct "$(g baseline cache_hit_ratio)") (Redis) | $(pct "$(g faed cache_hit_ratio)") | >= 95% | $met_hit |"
echo "| - of reads of keys already read before | $(pct "$(g baseline repeat_hit_ratio)") | $(pct "$(g faed repeat_hit_ratio)") | | |"
if ((has_f)); then
	IFS=, read -ra tl <<<"$tiers"
	for t in "${tl[@]}"; do
		echo "| - hit ratio of tier $t | | $(pct "$(g faed "hit_ratio_$t")") ($(g faed "hits_${t}_measured") keys) | | |"
	done
	echo "| - misses (in no tier) | | $(g faed misses_measured) | 0 | |"
fi
echo "| MySQL queries per read (Com_select, measured) | $(fmt2 "$(g baseline mysql_q_per_read)") | $(fmt2 "$(g faed mysql_q_per_read)") | | |"
echo "| keys first read after warm-up (must miss) | $(g baseline new_keys_measured) | $(g faed new_keys_measured) | | |"
echo "| distinct keys read (warm-up + measured) | $(g baseline distinct_keys) | $(g faed distinct_keys) | | |"
echo "| Com_select (warm-up + measured) | $(g baseline com_select_run) (client: $(g baseline selects_run)) | $(g faed com_select_run) (store_reads: $(g faed store_reads_run)) | | |"
echo "| MySQL queries per distinct missing key | $(fmt2 "$(g baseline mysql_q_per_distinct_key)") | $(fmt2 "$(g faed mysql_q_per_distinct_key)") | <= 1 | $met_coal |"
echo "| coalesced reads (warm-up + measured) | | $(g faed coalesced_run) | | |"
echo "| MySQL connections opened / statements prepared | $(g baseline mysql_connections_run) / $(g baseline mysql_prepares_run) | $(g faed mysql_connections_run) / $(g faed mysql_prepares_run) | | |"
echo "| errors: nil / wrong value / error reply / I/O | $(errs baseline) | $(errs faed) | 0 | |"
echo
cmd="CLIENTS=$CLIENTS KEYS=$KEYS SIZE=$SIZE ZIPF_S=$ZIPF_S WARMUP=$WARMUP MEASURE=$MEASURE L1_MEMORY=$L1_MEMORY"
[[ $MODES != "baseline faed" ]] && cmd+=" MODES=\"$MODES\""
[[ -n $FAED_ARGS ]] && cmd+=" FAED_ARGS=\"$FAED_ARGS\""
echo "Command: \`$cmd bench/tiers.sh\` ($((EPOCHSECONDS - T_START)) s)"
