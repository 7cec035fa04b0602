package hashkit

import (
	"bytes"
	"testing"
	"unsafe"
)

func TestTag(t *testing.T) {
	tests := []struct {
		name, key, tag, want string
	}{
		{"no tag configured", "user:{1}:a", "", "user:{1}:a"},
		{"braces", "user:{1}:a", "{}", "1"},
		{"first open, next close", "a{b}c{d}e", "{}", "b"},
		{"close before open is skipped", "}a{b}c", "{}", "b"},
		{"nested: next close after first open", "{a{b}c}", "{}", "a{b"},
		{"empty tag hashes the whole key", "a{}b", "{}", "a{}b"},
		{"empty first tag does not look further", "{}{x}", "{}", "{}{x}"},
		{"no close", "a{bc", "{}", "a{bc"},
		{"no open", "ab}c", "{}", "ab}c"},
		{"whole key is the tag", "{abc}", "{}", "abc"},
		{"same open and close char", "a$b$c", "$$", "b"},
		{"other pair", "x:<id>:y", "<>", "id"},
		{"one-char tag is ignored", "a{b}c", "{", "a{b}c"},
		{"empty key", "", "{}", ""},
		{"high bytes", "\xff{\x80\x81}\xfe", "{}", "\x80\x81"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := []byte(tt.key)
			got := Tag(key, tt.tag)
			if string(got) != tt.want {
				t.Errorf("Tag(%q, %q) = %q, want %q", tt.key, tt.tag, got, tt.want)
			}
			checkTag(t, key, tt.tag)
		})
	}
}

func TestTagNoAlloc(t *testing.T) {
	key := []byte("user:{1234}:profile")
	if n := testing.AllocsPerRun(100, func() { Tag(key, "{}") }); n != 0 {
		t.Errorf("got %v allocs per Tag, want 0", n)
	}
}

// checkTag fails t unless Tag(key, tag) is key itself or a non-empty
// subslice of it that lies strictly between tag[0] and tag[1].
func checkTag(t *testing.T, key []byte, tag string) {
	t.Helper()
	got := Tag(key, tag)
	if len(got) == len(key) {
		if len(key) > 0 && unsafe.SliceData(got) != unsafe.SliceData(key) {
			t.Fatalf("Tag(%q, %q) = %q: same length but not key itself", key, tag, got)
		}
		return
	}
	if len(got) == 0 {
		t.Fatalf("Tag(%q, %q) returned an empty part", key, tag)
	}
	off := uintptr(unsafe.Pointer(unsafe.SliceData(got))) - uintptr(unsafe.Pointer(unsafe.SliceData(key)))
	if off < 1 || off+uintptr(len(got)) >= uintptr(len(key)) {
		t.Fatalf("Tag(%q, %q) = %q: not strictly inside key (offset %d)", key, tag, got, off)
	}
	if key[off-1] != tag[0] || key[off+uintptr(len(got))] != tag[1] {
		t.Fatalf("Tag(%q, %q) = %q: not between %q and %q", key, tag, got, tag[0], tag[1])
	}
	if bytes.IndexByte(key, tag[0]) != int(off-1) {
		t.Fatalf("Tag(%q, %q) = %q: not after the first %q", key, tag, got, tag[0])
	}
}

func BenchmarkTag(b *testing.B) {
	key := []byte("user:{1234}:prof")
	b.ReportAllocs()
	for b.Loop() {
		Tag(key, "{}")
	}
}
