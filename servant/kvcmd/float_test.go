package kvcmd

import (
	"strings"
	"testing"
)

func TestParseLongDouble(t *testing.T) {
	tests := []struct {
		in   string
		want string // a prefix of the formatted value, "" when rejected
	}{
		{"1", "1"},
		{"-2.5", "-2.5"},
		{"+0", "0"},
		{"-0", "0"},
		{"1e3", "1000"},
		{"1E+3", "1000"},
		{"25e-1", "2.5"},
		{"0x1P3", "8"},
		{"-0xA", "-10"},
		{"0x1p-1", "0.5"},
		{"0x1.", "1"},
		{"0xg", ""},
		{"0x1p", ""},
		{"0x1p+", ""},
		{".", ""},
		{"-", ""},
		{"e5", ""},
		{"1..2", ""},
		{"1e5.5", ""},
		{"\t1", ""},
		{"nan(1)", ""},
		{"1.18e4932", "11800000000000000000"},
		{"1.19e4932", ""},
		{"0x1p16383", "5948657476786158825"},
		{"0x1p16384", ""},
		{"0x1p-16445", "0"},
		{"0x1p-16446", ""},
		{"0x1.0000000000000001p-16446", "0"},
		{"0e-999999999999", "0"},
		{"0x0p999999999999", "0"},
	}
	for _, tt := range tests {
		f, ok := parseLongDouble([]byte(tt.in))
		switch {
		case tt.want == "" && ok:
			t.Errorf("parseLongDouble(%q) accepted %s, want rejected", tt.in, f.Text('g', 20))
		case tt.want != "" && !ok:
			t.Errorf("parseLongDouble(%q) rejected, want %s", tt.in, tt.want)
		case ok && !strings.HasPrefix(string(formatLongDouble(f)), tt.want):
			t.Errorf("parseLongDouble(%q) = %.40s, want %s...", tt.in, formatLongDouble(f), tt.want)
		}
	}
}
