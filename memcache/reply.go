package memcache

import (
	"bytes"
	"fmt"
)

// maxReplyLine bounds one line of a server reply, "\r\n" included. The
// longest memcached sends are meta replies echoing a key and opaque, far
// below it.
const maxReplyLine = 8 << 10

// Details of ErrMalformedReply, declared once so that ReplyLen never
// allocates.
var (
	errReplyLineTooLong = fmt.Errorf("%w: line longer than %d bytes", ErrMalformedReply, maxReplyLine)
	errReplyLineLF      = fmt.Errorf("%w: line ends in LF without CR", ErrMalformedReply)
	errValueLine        = fmt.Errorf("%w: bad VALUE line", ErrMalformedReply)
	errVALine           = fmt.Errorf("%w: bad VA line", ErrMalformedReply)
	errDataEnd          = fmt.Errorf("%w: data block not followed by CRLF", ErrMalformedReply)
)

// ReplyLen returns the length of the complete reply to req at the start of
// buf, as a memcached server sends it:
//
//   - get, gets, gat, gats: VALUE blocks ("VALUE <key> <flags> <bytes>
//     [<cas>]\r\n", the data and "\r\n") up to "END\r\n";
//   - stats: "STAT", "ITEM" or "PREFIX" lines up to "END\r\n";
//   - mg and ma: one line, and a data block after "VA <size> ...";
//   - everything else: one line (STORED, DELETED, a number, HD, MN...).
//
// Any other line ends the reply; that covers ERROR, CLIENT_ERROR and
// SERVER_ERROR, which memcached sends instead of a whole reply. A request
// with NoReply has no reply: ReplyLen returns 0, as for quit. So does a meta
// request with q whose reply memcached omits, but ReplyLen cannot know that:
// forward such requests without q (see Omitted).
//
// If buf holds only part of the reply, ReplyLen returns ErrIncomplete with
// the total length buf must reach before the outcome can change; for a data
// block, the end of the block. A reply that breaks the protocol gives an
// error wrapping ErrMalformedReply. ReplyLen does not allocate.
func ReplyLen(buf []byte, req *Request) (int, error) {
	switch k := req.Kind; {
	case k == KindQuit || (req.NoReply && !k.IsMeta()):
		return 0, nil
	case k.IsFetch():
		return multiLen(buf, valueBlock)
	case k == KindStats:
		return multiLen(buf, statsLine)
	case k == KindMetaGet || k == KindMetaArith:
		return metaLen(buf)
	}
	end, err := replyLine(buf, 0)
	return end, err
}

// multiLen measures a reply made of items, each measured by item from p
// (it returns 0 when the line at p is not one of its items), and a final
// line.
func multiLen(buf []byte, item func(buf []byte, p int) (int, error)) (int, error) {
	p := 0
	for {
		next, err := item(buf, p)
		if err != nil {
			return next, err
		}
		if next == 0 {
			return replyLine(buf, p)
		}
		p = next
	}
}

// replyLine returns the index after the "\r\n" ending the line at p.
func replyLine(buf []byte, p int) (int, error) {
	limit := min(len(buf), p+maxReplyLine)
	i := bytes.IndexByte(buf[p:limit], '\n')
	switch {
	case i < 0 && limit-p == maxReplyLine:
		return 0, errReplyLineTooLong
	case i < 0:
		return len(buf) + 1, ErrIncomplete
	case i == 0 || buf[p+i-1] != '\r':
		return 0, errReplyLineLF
	}
	return p + i + 1, nil
}

// hasLinePrefix reports whether the line at p starts with prefix; when buf
// ends first, it asks for more unless what is there already differs.
func hasLinePrefix(buf []byte, p int, prefix string) (ok bool, need int) {
	rest := buf[p:]
	if len(rest) < len(prefix) {
		if string(rest) == prefix[:len(rest)] {
			return false, len(buf) + 1
		}
		return false, 0
	}
	return string(rest[:len(prefix)]) == prefix, 0
}

// valueBlock measures the VALUE block at p, or returns 0 if the line at p is
// not a VALUE line.
func valueBlock(buf []byte, p int) (int, error) {
	ok, need := hasLinePrefix(buf, p, "VALUE ")
	if need > 0 {
		return need, ErrIncomplete
	}
	if !ok {
		return 0, nil
	}
	end, err := replyLine(buf, p)
	if err != nil {
		return end, err
	}
	size, ok := valueSize(buf[p+len("VALUE ") : end-2])
	if !ok {
		return 0, errValueLine
	}
	return dataEnd(buf, end, size)
}

// valueSize returns the <bytes> field of a VALUE line's "<key> <flags>
// <bytes> [<cas>]": three or four fields, one space apart.
func valueSize(fields []byte) (int, bool) {
	var size []byte
	nf := 0
	for len(fields) > 0 {
		tok := fields
		if i := bytes.IndexByte(fields, ' '); i >= 0 {
			tok, fields = fields[:i], fields[i+1:]
			if len(fields) == 0 {
				return 0, false // trailing space
			}
		} else {
			fields = nil
		}
		if len(tok) == 0 {
			return 0, false
		}
		if nf == 2 {
			size = tok
		}
		nf++
	}
	if nf != 3 && nf != 4 {
		return 0, false
	}
	return parseSize(size)
}

// dataEnd returns the index after a data block of size bytes and "\r\n"
// starting at p.
func dataEnd(buf []byte, p, size int) (int, error) {
	end := p + size + 2
	if end > len(buf) {
		return end, ErrIncomplete
	}
	if buf[end-2] != '\r' || buf[end-1] != '\n' {
		return 0, errDataEnd
	}
	return end, nil
}

// statsLine measures a STAT, ITEM or PREFIX line at p, or returns 0 for any
// other line.
func statsLine(buf []byte, p int) (int, error) {
	for _, prefix := range [...]string{"STAT ", "ITEM ", "PREFIX "} {
		ok, need := hasLinePrefix(buf, p, prefix)
		if ok {
			return replyLine(buf, p)
		}
		if need > 0 {
			return need, ErrIncomplete
		}
	}
	return 0, nil
}

// metaLen measures a meta reply: one line, and after "VA <size>" a data
// block.
func metaLen(buf []byte) (int, error) {
	end, err := replyLine(buf, 0)
	if err != nil || end < 4 || string(buf[:3]) != "VA " {
		return end, err
	}
	sizeTok := buf[3 : end-2]
	if i := bytes.IndexByte(sizeTok, ' '); i >= 0 {
		sizeTok = sizeTok[:i]
	}
	size, ok := parseSize(sizeTok)
	if !ok {
		return 0, errVALine
	}
	return dataEnd(buf, end, size)
}

// NextValue splits the first VALUE block off a get, gets, gat or gats reply:
// key is the block's key, block its raw bytes (header line, data and
// "\r\n") and rest what follows. ok is false when reply does not start with
// a complete, well-formed VALUE block: at "END\r\n", at an error line, or
// when truncated. All three slices alias reply. A proxy merging the replies
// of a split multi-get walks each server's reply with NextValue; memcached
// sends the hits in the order of the keys it was sent, skipping misses.
func NextValue(reply []byte) (key, block, rest []byte, ok bool) {
	end, err := valueBlock(reply, 0)
	if err != nil || end == 0 {
		return nil, nil, reply, false
	}
	line := reply[len("VALUE "):]
	key = line[:bytes.IndexByte(line, ' ')]
	return key, reply[:end:end], reply[end:], true
}
