package lcache

import (
	"strings"
	"testing"
)

func TestIncrDecr(t *testing.T) {
	runScripts(t, []script{
		{"counting", []exchange{
			x(":1\r\n", "INCR", "k"),
			x(":0\r\n", "DECR", "k"),
			x(":-1\r\n", "DECR", "k"),
			x(":9\r\n", "INCRBY", "k", "10"),
			x(":-91\r\n", "DECRBY", "k", "100"),
			x("$3\r\n-91\r\n", "GET", "k"),
			x(":5\r\n", "INCRBY", "n", "5"),
			x(":-5\r\n", "DECRBY", "m", "5"),
		}},
		{"keeps TTL", []exchange{
			x("+OK\r\n", "SET", "k", "1", "EX", "100"),
			x(":2\r\n", "INCR", "k"),
			x(":100\r\n", "TTL", "k"),
		}},
		{"stored value not an integer", []exchange{
			x("+OK\r\n", "SET", "k", "-0"),
			x("-ERR value is not an integer or out of range\r\n", "INCR", "k"),
			x("+OK\r\n", "SET", "k", "+1"),
			x("-ERR value is not an integer or out of range\r\n", "INCR", "k"),
			x("+OK\r\n", "SET", "k", "01"),
			x("-ERR value is not an integer or out of range\r\n", "DECR", "k"),
			x("+OK\r\n", "SET", "k", " 1"),
			x("-ERR value is not an integer or out of range\r\n", "INCRBY", "k", "1"),
			x("+OK\r\n", "SET", "k", "1.5"),
			x("-ERR value is not an integer or out of range\r\n", "DECRBY", "k", "1"),
			x("+OK\r\n", "SET", "k", ""),
			x("-ERR value is not an integer or out of range\r\n", "INCR", "k"),
			x("+OK\r\n", "SET", "k", "9223372036854775808"),
			x("-ERR value is not an integer or out of range\r\n", "INCR", "k"),
		}},
		{"bad increment", []exchange{
			x("-ERR value is not an integer or out of range\r\n", "INCRBY", "k", "abc"),
			x("-ERR value is not an integer or out of range\r\n", "DECRBY", "k", "1.0"),
			x("-ERR value is not an integer or out of range\r\n", "INCRBY", "k", "9223372036854775808"),
			x(":0\r\n", "EXISTS", "k"),
		}},
		{"overflow", []exchange{
			x("+OK\r\n", "SET", "k", "9223372036854775807"),
			x("-ERR increment or decrement would overflow\r\n", "INCR", "k"),
			x(":-1\r\n", "INCRBY", "k", "-9223372036854775808"),
			x("+OK\r\n", "SET", "k", "-9223372036854775808"),
			x("-ERR increment or decrement would overflow\r\n", "DECR", "k"),
			x("-ERR increment or decrement would overflow\r\n", "INCRBY", "k", "-1"),
			x(":9223372036854775807\r\n", "INCRBY", "z", "9223372036854775807"),
			x("+OK\r\n", "SET", "k", "5"),
			x("-ERR decrement would overflow\r\n", "DECRBY", "k", "-9223372036854775808"),
			x(":-9223372036854775802\r\n", "DECRBY", "k", "9223372036854775807"),
			x("-ERR increment or decrement would overflow\r\n", "DECRBY", "k", "9223372036854775807"),
			x("-ERR increment or decrement would overflow\r\n", "INCRBY", "k", "-9223372036854775808"),
			x(":-9223372036854775801\r\n", "INCRBY", "k", "1"),
		}},
	})
}

func TestIncrbyfloat(t *testing.T) {
	// Replies recorded from redis-server 7.0.15 on x86-64.
	runScripts(t, []script{
		{"long double arithmetic", []exchange{
			x("+OK\r\n", "SET", "f", "10.50"),
			x("$4\r\n10.6\r\n", "INCRBYFLOAT", "f", "0.1"),
			x("$22\r\n5010.60000000000000009\r\n", "INCRBYFLOAT", "f", "5.0e3"),
			x("$22\r\n5026.60000000000000009\r\n", "INCRBYFLOAT", "f", "0x10"),
			x("$22\r\n5028.10000000000000009\r\n", "INCRBYFLOAT", "f", "0x1.8"),
			x("$22\r\n5028.35000000000000009\r\n", "INCRBYFLOAT", "f", "0x1p-2"),
			x("$22\r\n5028.35000000000000009\r\n", "INCRBYFLOAT", "f", "0e99999999999999999999"),
			x("$6\r\n-72.25\r\n", "INCRBYFLOAT", "f", "-5100.60000000000000000000000000001"),
		}},
		{"formatting", []exchange{
			x("$3\r\n0.1\r\n", "INCRBYFLOAT", "h", "0.1"),
			x("$3\r\n0.3\r\n", "INCRBYFLOAT", "h", "0.2"),
			x("$1\r\n0\r\n", "INCRBYFLOAT", "h", "-0.3"),
			x("$1\r\n0\r\n", "INCRBYFLOAT", "h", "-0.0000000000000000001"),
			x("$19\r\n0.00000000000000002\r\n", "INCRBYFLOAT", "h", "1.5e-17"),
			x("$20\r\n-0.00000000000000001\r\n", "INCRBYFLOAT", "h2", "-0.00000000000000001"),
			x("$1\r\n0\r\n", "INCRBYFLOAT", "h3", "-0.000000000000000005"),
			x("$20\r\n-0.00000000000000001\r\n", "INCRBYFLOAT", "h4", "-0.0000000000000000051"),
			x("+OK\r\n", "SET", "g", "0.000003814697265625"),
			x("$19\r\n0.00000381469726562\r\n", "INCRBYFLOAT", "g", "0"),
			x("+OK\r\n", "SET", "i", "9223372036854775807"),
			x("$19\r\n9223372036854775808\r\n", "INCRBYFLOAT", "i", "1"),
			x("$19\r\n9223372036854775808\r\n", "INCRBYFLOAT", "i", "0.1"),
			x("$3\r\n0.5\r\n", "INCRBYFLOAT", "p", ".5"),
			x("$3\r\n5.5\r\n", "INCRBYFLOAT", "p", "5."),
			x("$3\r\n6.5\r\n", "INCRBYFLOAT", "p", "0x.8p1"),
			x("$3\r\n7.5\r\n", "INCRBYFLOAT", "p", "+1"),
		}},
		{"huge and tiny", []exchange{
			x("+OK\r\n", "SET", "g", "1e300"),
			x("$301\r\n1"+strings.Repeat("0", 20)+"8997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144\r\n", "INCRBYFLOAT", "g", "0"),
			x("+OK\r\n", "SET", "t", "1e-4950"),
			x("$1\r\n0\r\n", "INCRBYFLOAT", "t", "0"),
			x("+OK\r\n", "SET", "t", "1e-4952"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "t", "0"),
			x("+OK\r\n", "SET", "m", "1.1e4932"),
			x("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "m", "1.1e4932"),
		}},
		{"errors", []exchange{
			x("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "f", "inf"),
			x("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "f", "-Infinity"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "infinit"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "nan"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", " 1"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "1 "),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", ""),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "1e"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "1e+"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "0x"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "1e5000"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "1e-5000"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "1.5\x00"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", strings.Repeat("1", 5120)),
			x(":0\r\n", "EXISTS", "f"),
			x("+OK\r\n", "SET", "s", "abc"),
			x("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "s", "1"),
			x("+OK\r\n", "SET", "s", "inf"),
			x("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "s", "1"),
		}},
		{"keeps TTL", []exchange{
			x("+OK\r\n", "SET", "k", "1", "EX", "100"),
			x("$3\r\n3.5\r\n", "INCRBYFLOAT", "k", "2.5"),
			x(":100\r\n", "TTL", "k"),
		}},
	})
}
