package idgen

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

func TestJSON(t *testing.T) {
	g, _ := fakeGen(t, 0, 1)
	got, err := g.JSON(2)
	if err != nil {
		t.Fatalf("JSON(2): %v", err)
	}
	const want = `{"ids":["4194304","4194305"]}`
	if string(got) != want {
		t.Fatalf("JSON(2) = %s, want %s", got, want)
	}

	got, err = g.JSON(MaxCount)
	if err != nil {
		t.Fatalf("JSON(%d): %v", MaxCount, err)
	}
	var body struct{ IDs []string }
	if err := json.Unmarshal(got, &body); err != nil {
		t.Fatalf("JSON(%d) is not JSON: %v", MaxCount, err)
	}
	if len(body.IDs) != MaxCount {
		t.Fatalf("JSON(%d) holds %d IDs", MaxCount, len(body.IDs))
	}
	if body.IDs[0] != strconv.Itoa(1<<22+2) {
		t.Fatalf("first ID %s, want %d", body.IDs[0], 1<<22+2)
	}

	for _, n := range []int{0, -1, MaxCount + 1} {
		if _, err := g.JSON(n); !errors.Is(err, ErrCount) {
			t.Fatalf("JSON(%d) error %v, want ErrCount", n, err)
		}
	}
}
