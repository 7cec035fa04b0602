package mysqlstore

import (
	"fmt"
	"strings"
)

// batchSizes are the key counts of the prepared multi-key statements. A
// batch of n keys uses the smallest size >= n, padded by repeating its last
// key, so a handful of statements per pool serves every batch; more than
// maxBatch keys take several statements.
var batchSizes = [...]int{1, 4, 16, 64, 256}

// maxBatch is the largest batch: the most keys one statement carries.
const maxBatch = 256

// tableQueries are the statements of the default table mapping. Table and
// column names were validated as identifiers and are quoted; keys and values
// are always parameters.
type tableQueries struct {
	get, set, del string
	mget, mset    [len(batchSizes)]string
}

func newTableQueries(table, key, value string) tableQueries {
	t, k, v := quote(table), quote(key), quote(value)
	upsert := fmt.Sprintf(" ON DUPLICATE KEY UPDATE %s = VALUES(%s)", v, v)
	q := tableQueries{
		get: fmt.Sprintf("SELECT %s FROM %s WHERE %s = ?", v, t, k),
		set: fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (?, ?)", t, k, v) + upsert,
		del: fmt.Sprintf("DELETE FROM %s WHERE %s = ?", t, k),
	}
	for i, n := range batchSizes {
		in := strings.TrimSuffix(strings.Repeat("?,", n), ",")
		q.mget[i] = fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s IN (%s)", k, v, t, k, in)
		rows := strings.TrimSuffix(strings.Repeat("(?,?),", n), ",")
		q.mset[i] = fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES %s", t, k, v, rows) + upsert
	}
	return q
}

// quote quotes an identifier (already checked against identifier).
func quote(name string) string { return "`" + name + "`" }

// batchFor returns the index into batchSizes of the smallest size >= n;
// n is at most maxBatch.
func batchFor(n int) int {
	for i, size := range batchSizes {
		if size >= n {
			return i
		}
	}
	return len(batchSizes) - 1
}
