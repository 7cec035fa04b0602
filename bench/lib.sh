# Shell helpers shared by the bench scripts; source it after setting WORK (a
# temporary directory the script owns) and PIDS=(). It installs an EXIT trap
# that stops every process started with `start` and removes WORK (unless
# KEEP=1).

log() { printf '%s\n' "$*" >&2; }
die() { log "${0##*/}: $*"; exit 1; }

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback TCP port that nothing uses and that this script
# has not handed out yet, below the kernel's ephemeral range so outgoing
# connections cannot take it.
TAKEN=" "
free_port() {
	local lo hi p i
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	hi=$((lo - 1)) lo=20000
	for ((i = 0; i < 200; i++)); do
		p=$((lo + RANDOM % (hi - lo)))
		[[ $TAKEN == *" $p "* ]] && continue
		ss -Htan "( sport = :$p or dport = :$p )" | grep -q . && continue
		TAKEN+="$p "
		echo "$p"
		return 0
	done
	die "no free port found"
}

# wait_port waits (bounded) until something accepts on 127.0.0.1:$1; $2 is the
# pid that should be listening, $3 its log.
wait_port() {
	local port=$1 pid=$2 logf=$3 i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || { cat "$logf" >&2 || true; die "pid $pid died before listening on $port"; }
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	cat "$logf" >&2 || true
	die "nothing listens on 127.0.0.1:$port after 10s"
}

start() { # start NAME LOGFILE CMD...: runs CMD in the background, records its pid
	local name=$1 logf=$2
	shift 2
	"$@" >"$logf" 2>&1 &
	PIDS+=($!)
	LASTPID=$!
	log "started $name (pid $LASTPID)"
}

# faed_binary sets FAED: FAED_BIN when given, else a fresh build in WORK;
# nothing when NO_FAED=1.
faed_binary() {
	FAED=${FAED_BIN:-}
	[[ ${NO_FAED:-0} == 1 || -n $FAED ]] && return 0
	FAED=$WORK/faed
	log "building faed"
	(cd "$ROOT" && go build -o "$FAED" ./cmd/faed) || die "faed does not build (NO_FAED=1, where offered, measures the others)"
}

# start_redis PORT: starts a throwaway redis-server (no persistence) on
# 127.0.0.1:PORT, data in $WORK/redis-PORT, log in $WORK/redis-PORT.log, and
# waits until it accepts connections.
start_redis() {
	local p=$1
	mkdir -p "$WORK/redis-$p"
	start "redis-server :$p" "$WORK/redis-$p.log" redis-server --bind 127.0.0.1 --port "$p" \
		--save '' --appendonly no --dir "$WORK/redis-$p" --protected-mode no --daemonize no
	wait_port "$p" "$LASTPID" "$WORK/redis-$p.log"
}

# median NUMBERS...: their median, ignoring ERR; ERR when none.
median() {
	local v=() x
	for x in "$@"; do [[ $x != ERR ]] && v+=("$x"); done
	((${#v[@]})) || { echo ERR; return; }
	printf '%s\n' "${v[@]}" | sort -g | awk '{a[NR]=$1} END { if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'
}

# paired A B: the median over rounds of A's rate / B's rate in the same round
# (A and B are the space-separated values of the rounds, in order); "-" when
# no round has both. Adjacent runs share the machine's load of the moment, so
# this moves less than the ratio of the medians when the load changes.
paired() {
	local a=($1) b=($2) r=() i
	for ((i = 0; i < ${#a[@]} && i < ${#b[@]}; i++)); do
		[[ ${a[i]} == ERR || ${b[i]} == ERR ]] && continue
		r+=("$(awk -v x="${a[i]}" -v y="${b[i]}" 'BEGIN { printf "%.4f", x / y }')")
	done
	((${#r[@]})) || { echo -; return; }
	printf '%.2f\n' "$(median "${r[@]}")"
}
