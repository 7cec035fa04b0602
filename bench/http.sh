#!/usr/bin/env bash
# bench/http.sh: HTTP GET of a 100-byte value through faed's HTTP API against
# a minimal Go net/http server that returns a constant 100-byte body, all on
# loopback, in one run.
#
# It builds faed and bench/httpconst, starts one memcached, and runs faed with
# a TOML config of three pools: "cache", served by the lcache servant; "mc",
# over the memcached; and "api", the HTTP API over both. It PUTs one value of
# SIZE bytes into each pool through the API and checks that a GET returns it.
# Then it measures, R times, interleaved (const faed-lcache faed-memcached
# const ...), after one uncounted warm-up run each:
#
#   const           GET http://127.0.0.1:P/            bench/httpconst
#   faed-lcache     GET /v1/cache/keys/bench:value     faed, lcache servant
#   faed-memcached  GET /v1/mc/keys/bench:value        faed, one memcached
#
# with `wrk -t2 -cCLIENTS -dSECS`, and prints the median requests per second,
# each target's share of const (of the medians, and the median within a
# round) and the serving process's CPU time per request as a markdown table
# on stdout. Progress goes to stderr. faed and httpconst run with the same number of threads
# (THREADS, default faed's own default: half the CPUs, at least one).
#
# wrk comes from the Debian package wrk, installed with apt-get when missing
# and this runs as root; otherwise bench/httpload (Go, stdlib; costs more CPU
# per request than wrk, so rates are lower) is used, and named in the header.
#
# Usage: bench/http.sh             (from anywhere; about a minute)
# Environment:
#   R=3           measurements per target; the median is kept
#   SECS=5        length of one measurement, in seconds
#   CLIENTS=50    concurrent connections (wrk -c)
#   WRK_THREADS=2 wrk -t
#   SIZE=100      value size in bytes
#   THREADS=N     GOMAXPROCS of faed (-threads) and httpconst
#   TARGETS="const faed-lcache faed-memcached"
#   LOADER=wrk|go wrk (default when installed or installable) or bench/httpload
#   FAED_BIN=path use this faed binary instead of building one
#   KEEP=1        keep the temp dir (config, logs, raw output) and print its path
set -euo pipefail

R=${R:-3}
SECS=${SECS:-5}
CLIENTS=${CLIENTS:-50}
WRK_THREADS=${WRK_THREADS:-2}
SIZE=${SIZE:-100}
THREADS=${THREADS:-$(($(nproc) / 2 > 1 ? $(nproc) / 2 : 1))}
read -r -a TARGETS <<<"${TARGETS:-const faed-lcache faed-memcached}"
LOADER=${LOADER:-}
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fae-bench-http.XXXXXX")
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for bin in memcached curl ss go; do
	command -v "$bin" >/dev/null || die "$bin not found (apt-get install memcached curl iproute2 golang)"
done
if [[ -z $LOADER ]]; then
	if ! command -v wrk >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing wrk"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >"$WORK/apt.log" 2>&1 ||
			log "apt-get install wrk failed (see below); using bench/httpload"$'\n'"$(tail -3 "$WORK/apt.log")"
	fi
	LOADER=go
	command -v wrk >/dev/null && LOADER=wrk
fi
[[ $LOADER == wrk || $LOADER == go ]] || die "LOADER=$LOADER: want wrk or go"
[[ $LOADER == go ]] || command -v wrk >/dev/null || die "wrk not found (apt-get install wrk), or LOADER=go"


# --- build --------------------------------------------------------------------
log "building bench/httpconst"
(cd "$ROOT" && go build -o "$WORK/httpconst" ./bench/httpconst) || die "bench/httpconst does not build"
if [[ $LOADER == go ]]; then
	log "building bench/httpload (wrk is not installed)"
	(cd "$ROOT" && go build -o "$WORK/httpload" ./bench/httpload) || die "bench/httpload does not build"
fi
faed_binary

# --- servers ------------------------------------------------------------------
MCUSER=()
[[ $(id -u) == 0 ]] && MCUSER=(-u root) # memcached refuses to run as root without -u
MC_PORT=$(free_port)
start "memcached :$MC_PORT" "$WORK/memcached.log" memcached "${MCUSER[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -t 1
wait_port "$MC_PORT" "$LASTPID" "$WORK/memcached.log"

CONST_PORT=$(free_port)
start httpconst "$WORK/httpconst.log" "$WORK/httpconst" -addr "127.0.0.1:$CONST_PORT" -size "$SIZE" -threads "$THREADS"
CONST_PID=$LASTPID
wait_port "$CONST_PORT" "$LASTPID" "$WORK/httpconst.log"

API_PORT=$(free_port)
CACHE_PORT=$(free_port) # the memcache listeners of the two pools: unused here
MCPOOL_PORT=$(free_port)
cat >"$WORK/faed.toml" <<-TOML
	[pools.cache]
	listen = "127.0.0.1:$CACHE_PORT"
	protocol = "memcache"
	servant = "lcache"

	[pools.mc]
	listen = "127.0.0.1:$MCPOOL_PORT"
	protocol = "memcache"
	servers = ["127.0.0.1:$MC_PORT:1 mc0"]

	[pools.api]
	listen = "127.0.0.1:$API_PORT"
	protocol = "http"
TOML
start faed "$WORK/faed.log" "$FAED" -c "$WORK/faed.toml" -threads "$THREADS"
FAED_PID=$LASTPID
wait_port "$API_PORT" "$LASTPID" "$WORK/faed.log"

declare -A URL=(
	[const]="http://127.0.0.1:$CONST_PORT/"
	[faed-lcache]="http://127.0.0.1:$API_PORT/v1/cache/keys/bench:value"
	[faed-memcached]="http://127.0.0.1:$API_PORT/v1/mc/keys/bench:value"
)
declare -A TPID=([const]=$CONST_PID [faed-lcache]=$FAED_PID [faed-memcached]=$FAED_PID)
HZ=$(getconf CLK_TCK)
# cpu_ticks PID: user + system CPU time the process has used, in clock ticks
# (fields 14 and 15 of /proc/PID/stat; the names here hold no spaces).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
for t in "${TARGETS[@]}"; do [[ -n ${URL[$t]:-} ]] || die "unknown target $t (want: ${!URL[*]})"; done

# --- sanity: the value is there, SIZE bytes, 200 -------------------------------
head -c "$SIZE" /dev/zero | tr '\0' v >"$WORK/value"
for pool in cache mc; do
	code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$WORK/value" \
		"http://127.0.0.1:$API_PORT/v1/$pool/keys/bench:value") || die "PUT into $pool failed"
	[[ $code == 204 ]] || die "PUT into $pool answered $code"
done
for t in "${TARGETS[@]}"; do
	got=$(curl -sS -m 5 -w ' %{http_code} %{size_download}' "${URL[$t]}") || die "$t: GET failed"
	[[ $got == "$(cat "$WORK/value") 200 $SIZE" ]] || die "$t: GET answered '$got'"
done
log "sanity: every target answers GET with 200 and the $SIZE-byte value"

# --- benchmark ----------------------------------------------------------------
# run_bench TARGET SECS: prints the requests/s and the CPU time the serving
# process spent per request in microseconds, or "ERR ERR" when the run had
# socket errors or a status other than 2xx (noted in raw.log). The CPU time is
# the one number here that other work on the machine hardly moves.
run_bench() {
	local t=$1 secs=$2 out rps n c0 c1 bad=
	c0=$(cpu_ticks "${TPID[$t]}")
	if [[ $LOADER == wrk ]]; then
		out=$(timeout $((secs + 30)) wrk -t "$WRK_THREADS" -c "$CLIENTS" -d "${secs}s" "${URL[$t]}" 2>&1) || bad=exit
		rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
		n=$(awk '/ requests in / { print $1 }' <<<"$out")
		grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out" && bad=errors
	else
		out=$(timeout $((secs + 30)) "$WORK/httpload" -url "${URL[$t]}" -c "$CLIENTS" -d "${secs}s" -size "$SIZE" 2>&1) || bad=exit
		rps=$(sed -n 's/.*requests_per_sec=\([0-9.]*\).*/\1/p' <<<"$out")
		n=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' <<<"$out")
	fi
	c1=$(cpu_ticks "${TPID[$t]}")
	[[ -z $rps || -z $n || $n == 0 ]] && bad=${bad:-no result}
	echo "${bad:+FAILED ($bad) }$t ${secs}s: $(tr '\n' ' ' <<<"$out" | tr -s ' ')" >>"$WORK/raw.log"
	if [[ -n $bad ]]; then
		echo ERR ERR
	else
		echo "$rps $(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')"
	fi
}

for t in "${TARGETS[@]}"; do run_bench "$t" 1 >/dev/null; done
log "warm-up done; each run lasts ${SECS}s"
declare -A RES CPU
for ((rep = 1; rep <= R; rep++)); do
	for t in "${TARGETS[@]}"; do
		read -r v u <<<"$(run_bench "$t" "$SECS")"
		RES[$t]+="$v "
		CPU[$t]+="$u "
		log "round $rep/$R  $t: $v requests/s, $u us CPU/request"
	done
done
NOTES=()
while IFS= read -r line; do NOTES+=("$line"); done < <(grep '^FAILED' "$WORK/raw.log" | cut -c1-300 || true)
grep -qi -e 'level=ERROR' -e 'level=WARN' "$WORK/faed.log" &&
	NOTES+=("faed logged: $(grep -i -m3 -e 'level=ERROR' -e 'level=WARN' "$WORK/faed.log" | tr '\n' ' ' | cut -c1-300)")

# --- report -------------------------------------------------------------------
cell() { # cell VALUES...: the median, and how many runs failed if any did
	local m errs
	m=$(median "$@")
	errs=$(printf '%s\n' "$@" | grep -c '^ERR$' || true)
	[[ $m != ERR ]] && m=$(printf '%.0f' "$m")
	((errs)) && m+=" ($errs/$# failed)"
	echo "$m"
}
if [[ $LOADER == wrk ]]; then
	how="wrk -t$WRK_THREADS -c$CLIENTS -d${SECS}s"
else
	how="bench/httpload -c $CLIENTS -d ${SECS}s"
	command -v wrk >/dev/null || how+=" (wrk not installed)"
fi
base=
[[ -n ${RES[const]:-} ]] && base=$(cell ${RES[const]})
echo
echo "$how, GET of a $SIZE-byte value, median of $R interleaved runs; faed and httpconst with $THREADS thread(s);"
echo "$(($(date +%s) - T0))s in all; load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg);"
echo "per round: median of target/const within each round; CPU us/req: median CPU time (user + system) of the serving process per request"
echo
echo "| target | serves | requests/s | / const | per round | target | CPU us/req |"
echo "| --- | --- | --: | --: | --: | --: | --: |"
declare -A SERVES=([const]="bench/httpconst: a constant body" [faed-lcache]="faed HTTP API, lcache servant pool"
	[faed-memcached]="faed HTTP API, memcached pool")
declare -A GOAL=([faed-lcache]=">= 0.50")
for t in "${TARGETS[@]}"; do
	v=$(cell ${RES[$t]})
	ratio=$(awk -v a="${v%% *}" -v b="${base%% *}" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')
	pr=-
	[[ -n ${RES[const]:-} ]] && pr=$(paired "${RES[$t]}" "${RES[const]}")
	echo "| $t | ${SERVES[$t]} | $v | $ratio | $pr | ${GOAL[$t]:-} | $(median ${CPU[$t]}) |"
done
if ((${#NOTES[@]})); then
	echo
	echo "Notes:"
	printf -- '- %s\n' "${NOTES[@]}"
fi
