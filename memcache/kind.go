package memcache

// Kind is the command of a request. The zero value, KindUnknown, is a command
// memcached does not know.
type Kind uint8

// The commands of memcached's text protocol.
const (
	KindUnknown    Kind = iota
	KindGet             // get <key>*  (also the ancient alias "bget")
	KindGets            // gets <key>*
	KindGat             // gat <exptime> <key>*
	KindGats            // gats <exptime> <key>*
	KindSet             // set <key> <flags> <exptime> <bytes> [noreply]
	KindAdd             // add, same form as set
	KindReplace         // replace, same form as set
	KindAppend          // append, same form as set
	KindPrepend         // prepend, same form as set
	KindCas             // cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]
	KindDelete          // delete <key> [0] [noreply]
	KindIncr            // incr <key> <delta> [noreply]
	KindDecr            // decr <key> <delta> [noreply]
	KindTouch           // touch <key> <exptime> [noreply]
	KindFlushAll        // flush_all [delay] [noreply]
	KindVersion         // version
	KindVerbosity       // verbosity <level> [noreply]
	KindStats           // stats [<args>]
	KindQuit            // quit
	KindMetaGet         // mg <key> <flag>*
	KindMetaSet         // ms <key> <datalen> <flag>*
	KindMetaDelete      // md <key> <flag>*
	KindMetaArith       // ma <key> <flag>*
	KindMetaNoop        // mn
	KindMetaDebug       // me <key> [b]
	// KindAdmin is a command that administers one server: shutdown, slabs,
	// lru, lru_crawler, watch, cache_memlimit, extstore, refresh_certs.
	// ParseRequest checks nothing beyond its line; a proxy usually refuses
	// it. Its reply is measured as one line (watch and lru_crawler metadump
	// stream, and cannot be measured).
	KindAdmin
	numKinds
)

// NumKinds is the number of kinds: every Kind is below it.
const NumKinds = int(numKinds)

var kindNames = [numKinds]string{
	KindUnknown: "unknown", KindGet: "get", KindGets: "gets", KindGat: "gat",
	KindGats: "gats", KindSet: "set", KindAdd: "add", KindReplace: "replace",
	KindAppend: "append", KindPrepend: "prepend", KindCas: "cas",
	KindDelete: "delete", KindIncr: "incr", KindDecr: "decr",
	KindTouch: "touch", KindFlushAll: "flush_all", KindVersion: "version",
	KindVerbosity: "verbosity", KindStats: "stats", KindQuit: "quit",
	KindMetaGet: "mg", KindMetaSet: "ms", KindMetaDelete: "md",
	KindMetaArith: "ma", KindMetaNoop: "mn", KindMetaDebug: "me",
	KindAdmin: "admin",
}

// String returns the command name ("get", "flush_all", "mg"), "unknown" for
// KindUnknown and "admin" for KindAdmin.
func (k Kind) String() string {
	if k >= numKinds {
		return "unknown"
	}
	return kindNames[k]
}

// IsFetch reports whether k is get, gets, gat or gats: the multi-key
// commands whose reply is VALUE blocks and END.
func (k Kind) IsFetch() bool { return k >= KindGet && k <= KindGats }

// IsStorage reports whether k is set, add, replace, append, prepend or cas:
// the classic commands followed by a data block.
func (k Kind) IsStorage() bool { return k >= KindSet && k <= KindCas }

// IsMeta reports whether k is a meta command (mg, ms, md, ma, mn, me).
func (k Kind) IsMeta() bool { return k >= KindMetaGet && k <= KindMetaDebug }

// lookupKind maps a command name to its kind, as process_command_ascii does:
// names are case-sensitive and shorter than 2 bytes never match.
func lookupKind(name []byte) Kind {
	switch string(name) {
	case "get", "bget":
		return KindGet
	case "gets":
		return KindGets
	case "gat":
		return KindGat
	case "gats":
		return KindGats
	case "set":
		return KindSet
	case "add":
		return KindAdd
	case "replace":
		return KindReplace
	case "append":
		return KindAppend
	case "prepend":
		return KindPrepend
	case "cas":
		return KindCas
	case "delete":
		return KindDelete
	case "incr":
		return KindIncr
	case "decr":
		return KindDecr
	case "touch":
		return KindTouch
	case "flush_all":
		return KindFlushAll
	case "version":
		return KindVersion
	case "verbosity":
		return KindVerbosity
	case "stats":
		return KindStats
	case "quit":
		return KindQuit
	case "mg":
		return KindMetaGet
	case "ms":
		return KindMetaSet
	case "md":
		return KindMetaDelete
	case "ma":
		return KindMetaArith
	case "mn":
		return KindMetaNoop
	case "me":
		return KindMetaDebug
	case "shutdown", "slabs", "lru", "lru_crawler", "watch", "cache_memlimit", "extstore", "refresh_certs":
		return KindAdmin
	}
	return KindUnknown
}
