// Command tierload is the client of bench/tiers.sh: Zipf-distributed Redis
// GETs over a key space that lives in MySQL, either through a faed tier
// chain (lcache -> Redis -> MySQL) or done the way an application does it
// by hand (GET on Redis; on a miss SELECT from MySQL, then SET on Redis).
//
// Modes:
//
//	-mode load -mysql DSN      create table kv (k VARBINARY(255) PRIMARY KEY,
//	                           v BLOB) in the DSN's database and fill it with
//	                           -keys rows: k = "key:N", v = -size bytes that
//	                           are a pure function of N (so readers can check
//	                           every value), then read the whole table once so
//	                           that InnoDB's buffer pool holds it
//	-mode faed -addr HOST:PORT [-admin HOST:PORT -pool NAME] [-mysql DSN]
//	                           GET through faed; with -admin, the chain's
//	                           counters from /stats; with -mysql, MariaDB's
//	                           Com_select
//	-mode baseline -redis HOST:PORT -mysql DSN
//	                           the application-style client
//
// Both read modes run -c workers, each with its own connection (to faed, or
// to Redis plus a database/sql pool of -c MySQL connections shared by all
// workers, with the SELECT prepared), one request at a time. Each worker draws
// key indexes from its own math/rand/v2 Zipf generator (-s, v = 1, over
// [0, -keys)); key 0 is the hottest. The run is -warmup (not counted in the
// rates) and then -measure. A read counts when its reply arrives.
//
// Every read's value is checked against the loaded one: a nil reply (every
// key exists in MySQL), a value that differs, an error reply and an I/O
// error or -timeout without a reply (the worker then reconnects) are counted
// separately; none should happen.
//
// At the end it prints key=value lines (the script parses them):
//
//	reads_per_s        median of the per-second read counts of the measured
//	                   period (1 s windows from its start)
//	reads_per_s_mean   measured reads / measured seconds
//	reads_warmup, reads_measured
//	p50_us, p99_us     read latency over the measured period (client side,
//	                   including a baseline read's SELECT and SET)
//	nil, wrong, err_reply, io_err  over the whole run
//	distinct_keys      distinct keys read during the whole run; with cold
//	                   caches at the start and nothing evicted or expired
//	                   during the run, each of them missed the caches exactly
//	                   once, so this is the number of distinct missing keys
//	new_keys_measured  of those, keys first read in the measured period: the
//	                   reads that had to miss the caches after warm-up
//	com_select_run, com_select_measured   MariaDB's Com_select (statements
//	                   run, prepared executions included) over the run (from
//	                   the start of the warm-up until the last read in flight
//	                   was answered; every *_run figure spans this), and over
//	                   the measured period (-mysql)
//	mysql_q_per_read   com_select_measured / reads_measured
//	mysql_q_per_distinct_key   com_select_run / distinct_keys: at most 1 when
//	                   concurrent misses of a key cause one MySQL read
//	mysql_connections_run, mysql_prepares_run   MariaDB's Connections and
//	                   Com_stmt_prepare over the run: connections opened
//	                   (and statements prepared) by the client under test;
//	                   a steady pool opens each connection once
//	repeat_hit_ratio   the cache tiers' hits over the measured period / the
//	                   measured reads that were not the first read of their
//	                   key (new_keys_measured must miss whatever the cache):
//	                   1 when nothing that was cached is read again from MySQL
//
// faed mode with -admin adds the chain's counters (from the pool's "chain"
// object in /stats): hits_<tier>_measured and hit_ratio_<tier> for each tier
// (its hits over the measured period / the keys the chain read then, which
// is its tiers' hits plus its misses), cache_hit_ratio (the cache tiers, all
// but the last, together), misses_measured, coalesced_run, store_reads_run,
// store_reads_measured, write_backs_run, chain_errors_run.
//
// Baseline mode adds the client's own figures: misses_run, misses_measured
// (GETs that found nothing in Redis), cache_hit_ratio (measured GET hits /
// reads), selects_run, selects_measured (SELECTs it ran), set_err.
//
// The exit status is 0 when the run was measured (whatever it counted), 1 on
// a setup failure, 2 for bad flags.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/bench/internal/loadkit"
	"github.com/go-sql-driver/mysql"
)

type options struct {
	mode, addr, redis, dsn, admin, pool string
	conns, keys, size                   int
	s                                   float64
	warmup, measure, timeout            time.Duration
	seed                                uint64
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "", "load, faed or baseline")
	flag.StringVar(&o.addr, "addr", "", "faed's chain pool `address` (faed mode)")
	flag.StringVar(&o.admin, "admin", "", "faed's admin `address` for /stats (faed mode; optional)")
	flag.StringVar(&o.pool, "pool", "front", "the chain pool's `name` in /stats")
	flag.StringVar(&o.redis, "redis", "", "Redis `address` (baseline mode)")
	flag.StringVar(&o.dsn, "mysql", "", "go-sql-driver `DSN` of the database holding table kv, e.g. root@tcp(127.0.0.1:3306)/bench")
	flag.IntVar(&o.conns, "c", 50, "concurrent connections (workers); also the baseline's MySQL pool size")
	flag.IntVar(&o.keys, "keys", 100000, "key space: key:0 .. key:N-1")
	flag.IntVar(&o.size, "size", 100, "value size in bytes")
	flag.Float64Var(&o.s, "s", 1.1, "Zipf exponent (> 1)")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "warm-up, not counted in the rates")
	flag.DurationVar(&o.measure, "measure", 10*time.Second, "measured period")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Second, "longest wait for one reply (or dial)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the key draws (worker w uses seed, w)")
	flag.Parse()
	bad := flag.NArg() > 0 || o.keys <= 0 || o.size < 0 || o.conns <= 0
	switch o.mode {
	case "load":
		bad = bad || o.dsn == ""
	case "faed":
		bad = bad || o.addr == ""
	case "baseline":
		bad = bad || o.redis == "" || o.dsn == ""
	default:
		bad = true
	}
	if bad || o.s <= 1 || o.warmup < 0 || o.measure < time.Second || o.timeout <= 0 {
		fmt.Fprintln(os.Stderr, "tierload: need -mode load -mysql DSN, -mode faed -addr A, or -mode baseline -redis A -mysql DSN; -s > 1, -measure >= 1s")
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if o.mode == "load" {
		err = load(o)
	} else {
		err = runReads(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tierload:", err)
		os.Exit(1)
	}
}

func key(i int) string { return "key:" + strconv.Itoa(i) }

// value is key i's value: size bytes from a PCG seeded with i, any byte
// value included (CR, LF and NUL too).
func value(i, size int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 0x7469657273)) // "tiers"
	b := make([]byte, size)
	for j := 0; j < size; j += 8 {
		var w [8]byte
		u := r.Uint64()
		for k := range w {
			w[k] = byte(u >> (8 * k))
		}
		copy(b[j:], w[:])
	}
	return b
}

func openDB(dsn string, params map[string]string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql DSN: %w", err)
	}
	for k, v := range params {
		switch k {
		case "interpolateParams":
			cfg.InterpolateParams = v == "true"
		}
	}
	cfg.Timeout = 5 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// load fills table kv, 1000 rows per INSERT, 4 at a time.
func load(o options) error {
	db, err := openDB(o.dsn, map[string]string{"interpolateParams": "true"})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	start := time.Now()
	for _, q := range []string{"DROP TABLE IF EXISTS kv", "CREATE TABLE kv (k VARBINARY(255) PRIMARY KEY, v BLOB)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	const chunk = 1000
	jobs := make(chan int)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var q strings.Builder
			args := make([]any, 0, 2*chunk)
			for lo := range jobs {
				hi := min(lo+chunk, o.keys)
				q.Reset()
				q.WriteString("INSERT INTO kv (k, v) VALUES ")
				args = args[:0]
				for i := lo; i < hi; i++ {
					if i > lo {
						q.WriteByte(',')
					}
					q.WriteString("(?,?)")
					args = append(args, []byte(key(i)), value(i, o.size))
				}
				if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
					select {
					case errc <- fmt.Errorf("insert rows %d-%d: %w", lo, hi-1, err):
					default:
					}
				}
			}
		})
	}
	for lo := 0; lo < o.keys; lo += chunk {
		jobs <- lo
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	var n, total int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(LENGTH(v)), 0) FROM kv").Scan(&n, &total); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if n != int64(o.keys) || total != int64(o.keys)*int64(o.size) {
		return fmt.Errorf("table kv has %d rows, %d value bytes; want %d, %d", n, total, o.keys, o.keys*o.size)
	}
	fmt.Printf("rows=%d value_bytes=%d load_s=%.2f\n", n, total, time.Since(start).Seconds())
	return nil
}

// counters are one worker's, written by it only; padded apart.
type counters struct {
	reads, nils, wrong, errReply, ioErr, misses, selects, setErr atomic.Int64
	lat                                                          [nbuckets]atomic.Int64 // measured period only
	_                                                            [64]byte
}

// Latency buckets: 8 per power of two of nanoseconds.
const nbuckets = 64 * 8

func bucketOf(d time.Duration) int {
	n := uint64(max(d, 1))
	e := bits.Len64(n) - 1 // n in [2^e, 2^(e+1))
	if e < 3 {
		return int(n)
	}
	m := (n >> (e - 3)) & 7
	return e*8 + int(m)
}

func bucketUpper(b int) time.Duration {
	if b < 8 {
		return time.Duration(b)
	}
	e, m := b/8, uint64(b%8)
	return time.Duration((8 + m + 1) << (e - 3))
}

type snapshot struct {
	reads, nils, wrong, errReply, ioErr, misses, selects, setErr int64
}

func sum(cs []counters) snapshot {
	var s snapshot
	for i := range cs {
		c := &cs[i]
		s.reads += c.reads.Load()
		s.nils += c.nils.Load()
		s.wrong += c.wrong.Load()
		s.errReply += c.errReply.Load()
		s.ioErr += c.ioErr.Load()
		s.misses += c.misses.Load()
		s.selects += c.selects.Load()
		s.setErr += c.setErr.Load()
	}
	return s
}

// ---- MariaDB status and faed stats ----------------------------------------

// mysqlStatus is the MariaDB counters tierload reads.
type mysqlStatus struct {
	selects  int64 // Com_select: SELECTs run, prepared executions included
	conns    int64 // Connections: connection attempts
	prepares int64 // Com_stmt_prepare
}

func readStatus(db *sql.DB) (mysqlStatus, error) {
	var st mysqlStatus
	if db == nil {
		return st, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// SHOW is Com_show_status, not Com_select: it does not count itself
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Connections', 'Com_stmt_prepare')")
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return st, err
		}
		switch strings.ToLower(name) {
		case "com_select":
			st.selects = v
		case "connections":
			st.conns = v
		case "com_stmt_prepare":
			st.prepares = v
		}
	}
	return st, rows.Err()
}

type chainStats struct {
	Tiers []struct {
		Name string `json:"name"`
		Hits int64  `json:"hits"`
	} `json:"tiers"`
	Misses       int64 `json:"misses"`
	NegativeHits int64 `json:"negative_hits"`
	Coalesced    int64 `json:"coalesced"`
	StoreReads   int64 `json:"store_reads"`
	WriteBacks   int64 `json:"write_backs"`
	Errors       int64 `json:"errors"`
}

func fetchChain(admin, pool string) (*chainStats, error) {
	if admin == "" {
		return nil, nil
	}
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://" + admin + "/stats")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /stats: %s", resp.Status)
	}
	var doc struct {
		Pools []struct {
			Name  string      `json:"name"`
			Chain *chainStats `json:"chain"`
		} `json:"pools"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("GET /stats: %w", err)
	}
	for _, p := range doc.Pools {
		if p.Name == pool {
			if p.Chain == nil {
				return nil, fmt.Errorf("pool %s in /stats has no chain", pool)
			}
			return p.Chain, nil
		}
	}
	return nil, fmt.Errorf("no pool %s in /stats", pool)
}

// ---- reads -----------------------------------------------------------------

type run struct {
	o          options
	values     [][]byte
	cs         []counters
	seen       [][]bool // [worker][key]: read during the run
	seenWarm   [][]bool // [worker][key]: read during the warm-up
	measuring  atomic.Bool
	stop       atomic.Bool
	selStmt    *sql.Stmt
	db         *sql.DB // baseline's pool
	firstErr   atomic.Pointer[string]
	finished   sync.WaitGroup
	setTTL     []byte
	workersOut atomic.Int64
}

func (r *run) noteErr(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	r.firstErr.CompareAndSwap(nil, &s)
}

func runReads(o options) error {
	r := &run{o: o, setTTL: []byte("600")}
	r.values = make([][]byte, o.keys)
	for i := range r.values {
		r.values[i] = value(i, o.size)
	}
	r.cs = make([]counters, o.conns)
	r.seen = make([][]bool, o.conns)
	r.seenWarm = make([][]bool, o.conns)
	for w := range o.conns {
		r.seen[w] = make([]bool, o.keys)
		r.seenWarm[w] = make([]bool, o.keys)
	}
	var status *sql.DB // for Com_select
	if o.dsn != "" {
		var err error
		if status, err = openDB(o.dsn, nil); err != nil {
			return err
		}
		defer status.Close()
		status.SetMaxOpenConns(1)
		if _, err := readStatus(status); err != nil {
			return fmt.Errorf("mysql status: %w", err)
		}
	}
	if o.mode == "baseline" {
		db, err := openDB(o.dsn, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(o.conns)
		db.SetMaxIdleConns(o.conns)
		r.db = db
		if r.selStmt, err = db.Prepare("SELECT v FROM kv WHERE k = ?"); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		defer r.selStmt.Close()
	}
	// check the target answers before the clock starts
	addr := o.addr
	if o.mode == "baseline" {
		addr = o.redis
	}
	probe := &loadkit.Client{Addr: addr, Timeout: o.timeout}
	if v, err := probe.Do([]byte("PING")); err != nil || string(v) != "PONG" {
		return fmt.Errorf("%s does not answer PING: %q %v", addr, v, err)
	}
	probe.Close()

	cs0, err := readStatus(status)
	if err != nil {
		return err
	}
	ch0, err := fetchChain(o.admin, o.pool)
	if err != nil {
		return err
	}
	start := time.Now()
	t1 := start.Add(o.warmup)
	end := t1.Add(o.measure)
	for w := range o.conns {
		r.finished.Add(1)
		go r.worker(w, end)
	}
	// warm-up
	time.Sleep(time.Until(t1))
	r.measuring.Store(true)
	s1 := sum(r.cs)
	cs1, err1 := readStatus(status)
	ch1, err2 := fetchChain(o.admin, o.pool)
	if err := errors.Join(err1, err2); err != nil {
		r.stop.Store(true)
		return err
	}
	// 1 s windows
	var windows []int64
	prev := s1.reads
	for i := 1; ; i++ {
		at := t1.Add(time.Duration(i) * time.Second)
		if at.After(end.Add(time.Millisecond)) {
			break
		}
		time.Sleep(time.Until(at))
		cur := sum(r.cs).reads
		windows = append(windows, cur-prev)
		prev = cur
	}
	time.Sleep(time.Until(end))
	s2 := sum(r.cs)
	r.measuring.Store(false)
	cs2, err1 := readStatus(status)
	ch2, err2 := fetchChain(o.admin, o.pool)
	measured := time.Since(t1)
	r.stop.Store(true)
	// workers end at their next reply (bounded by -timeout)
	done := make(chan struct{})
	go func() { r.finished.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(o.timeout + 5*time.Second):
		fmt.Printf("hung_workers=%d\n", r.workersOut.Load())
	}
	// run-level figures once every read has been answered: the reads in
	// flight at the end of the measured period count in distinct_keys
	cs3, err3 := readStatus(status)
	ch3, err4 := fetchChain(o.admin, o.pool)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	final := sum(r.cs)

	// distinct keys
	distinct, newMeasured := 0, 0
	for k := range o.keys {
		seen, warm := false, false
		for w := range o.conns {
			seen = seen || r.seen[w][k]
			warm = warm || r.seenWarm[w][k]
		}
		if seen {
			distinct++
			if !warm {
				newMeasured++
			}
		}
	}
	reads := s2.reads - s1.reads
	out := func(k string, v any) { fmt.Printf("%s=%v\n", k, v) }
	ratio := func(a, b int64) string {
		if b == 0 {
			return "none"
		}
		return strconv.FormatFloat(float64(a)/float64(b), 'f', 4, 64)
	}
	med := loadkit.Median(windows)
	out("mode", o.mode)
	out("conns", o.conns)
	out("keys", o.keys)
	out("zipf_s", o.s)
	out("warmup_s", o.warmup.Seconds())
	out("measure_s", fmt.Sprintf("%.3f", measured.Seconds()))
	out("windows", strings.Trim(fmt.Sprint(windows), "[]"))
	out("reads_per_s", fmt.Sprintf("%.0f", med))
	out("reads_per_s_mean", fmt.Sprintf("%.0f", float64(reads)/o.measure.Seconds()))
	out("reads_warmup", s1.reads)
	out("reads_measured", reads)
	p50, p99 := r.percentiles(0.50), r.percentiles(0.99)
	out("p50_us", fmt.Sprintf("%.0f", float64(p50)/1e3))
	out("p99_us", fmt.Sprintf("%.0f", float64(p99)/1e3))
	out("nil", final.nils)
	out("wrong", final.wrong)
	out("err_reply", final.errReply)
	out("io_err", final.ioErr)
	if p := r.firstErr.Load(); p != nil {
		out("first_err", strconv.Quote(*p))
	}
	out("distinct_keys", distinct)
	out("new_keys_measured", newMeasured)
	if status != nil {
		out("com_select_run", cs3.selects-cs0.selects)
		out("com_select_measured", cs2.selects-cs1.selects)
		out("mysql_q_per_read", ratio(cs2.selects-cs1.selects, reads))
		out("mysql_q_per_distinct_key", ratio(cs3.selects-cs0.selects, int64(distinct)))
		out("mysql_connections_run", cs3.conns-cs0.conns)
		out("mysql_prepares_run", cs3.prepares-cs0.prepares)
	}
	switch o.mode {
	case "baseline":
		out("misses_run", final.misses)
		out("misses_measured", s2.misses-s1.misses)
		out("cache_hit_ratio", ratio(reads-(s2.misses-s1.misses), reads))
		out("repeat_hit_ratio", ratio(reads-(s2.misses-s1.misses), reads-int64(newMeasured)))
		out("selects_run", final.selects)
		out("selects_measured", s2.selects-s1.selects)
		out("client_q_per_read", ratio(s2.selects-s1.selects, reads))
		out("client_q_per_distinct_key", ratio(final.selects, int64(distinct)))
		out("set_err", final.setErr)
	case "faed":
		if ch0 != nil {
			var total, cacheHits int64
			for i, t := range ch2.Tiers {
				d := t.Hits - hitsOf(ch1, t.Name)
				total += d
				if i < len(ch2.Tiers)-1 {
					cacheHits += d
				}
			}
			misses := ch2.Misses - ch1.Misses
			total += misses
			var names []string
			for _, t := range ch2.Tiers {
				d := t.Hits - hitsOf(ch1, t.Name)
				names = append(names, t.Name)
				out("hits_"+t.Name+"_measured", d)
				out("hit_ratio_"+t.Name, ratio(d, total))
			}
			out("tiers", strings.Join(names, ","))
			out("chain_keys_measured", total)
			out("cache_hit_ratio", ratio(cacheHits, total))
			// the stats and the client's own first-read marks are taken
			// at slightly different instants: a read in flight at the
			// start of the measured period can tip the ratio over 1
			out("repeat_hit_ratio", ratio(min(cacheHits, total-int64(newMeasured)), total-int64(newMeasured)))
			out("misses_measured", misses)
			out("coalesced_run", ch3.Coalesced-ch0.Coalesced)
			out("coalesced_measured", ch2.Coalesced-ch1.Coalesced)
			out("store_reads_run", ch3.StoreReads-ch0.StoreReads)
			out("store_reads_measured", ch2.StoreReads-ch1.StoreReads)
			out("write_backs_run", ch3.WriteBacks-ch0.WriteBacks)
			out("chain_errors_run", ch3.Errors-ch0.Errors)
			out("negative_hits_run", ch3.NegativeHits-ch0.NegativeHits)
			out("store_reads_per_distinct_key", ratio(ch3.StoreReads-ch0.StoreReads, int64(distinct)))
		}
	}
	return nil
}

func hitsOf(c *chainStats, name string) int64 {
	for _, t := range c.Tiers {
		if t.Name == name {
			return t.Hits
		}
	}
	return 0
}

func (r *run) percentiles(q float64) time.Duration {
	var hist [nbuckets]int64
	var n int64
	for w := range r.cs {
		for b := range hist {
			v := r.cs[w].lat[b].Load()
			hist[b] += v
			n += v
		}
	}
	if n == 0 {
		return 0
	}
	want := int64(math.Ceil(q * float64(n)))
	var acc int64
	for b, v := range hist {
		acc += v
		if acc >= want {
			return bucketUpper(b)
		}
	}
	return bucketUpper(nbuckets - 1)
}

func (r *run) worker(w int, end time.Time) {
	r.workersOut.Add(1)
	defer r.workersOut.Add(-1)
	defer r.finished.Done()
	o := r.o
	c := &r.cs[w]
	rng := rand.New(rand.NewPCG(o.seed, uint64(w)))
	z := rand.NewZipf(rng, o.s, 1, uint64(o.keys-1))
	addr := o.addr
	if o.mode == "baseline" {
		addr = o.redis
	}
	cn := &loadkit.Client{Addr: addr, Timeout: o.timeout}
	defer cn.Close()
	seen, seenWarm := r.seen[w], r.seenWarm[w]
	ctx := context.Background()
	get := []byte("GET")
	for !r.stop.Load() && time.Now().Before(end) {
		k := int(z.Uint64())
		kb := []byte(key(k))
		measuring := r.measuring.Load()
		t0 := time.Now()
		v, err := cn.Do(get, kb)
		if err != nil {
			var er loadkit.ErrorReply
			if errors.As(err, &er) {
				c.errReply.Add(1)
			} else {
				c.ioErr.Add(1)
			}
			r.noteErr("GET %s: %v", kb, err)
			continue
		}
		if v == nil {
			if o.mode != "baseline" {
				c.nils.Add(1)
				r.noteErr("GET %s: nil", kb)
				c.reads.Add(1)
				continue
			}
			// the application's read-through: SELECT, then SET
			c.misses.Add(1)
			c.selects.Add(1)
			qctx, cancel := context.WithTimeout(ctx, o.timeout)
			err := r.selStmt.QueryRowContext(qctx, kb).Scan(&v)
			cancel()
			if errors.Is(err, sql.ErrNoRows) {
				c.nils.Add(1)
				r.noteErr("SELECT %s: no row", kb)
				c.reads.Add(1)
				continue
			}
			if err != nil {
				c.ioErr.Add(1)
				r.noteErr("SELECT %s: %v", kb, err)
				continue
			}
			if _, err := cn.Do([]byte("SET"), kb, v, []byte("EX"), r.setTTL); err != nil {
				c.setErr.Add(1)
				r.noteErr("SET %s: %v", kb, err)
			}
		}
		lat := time.Since(t0)
		if string(v) != string(r.values[k]) {
			c.wrong.Add(1)
			r.noteErr("GET %s: wrong value (%d bytes)", kb, len(v))
		}
		seen[k] = true
		if !measuring {
			seenWarm[k] = true
		} else {
			c.lat[bucketOf(lat)].Add(1)
		}
		c.reads.Add(1)
	}
}
