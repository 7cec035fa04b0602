package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestMSetMGetText(t *testing.T) {
	c, st := alpha(t, Config{})
	c.expect(http.StatusNoContent, "POST", "/v1/alpha/mset",
		text(`{"items":[{"key":"a","value":"x"},{"key":"b","value":"héllo <&> \"q\""},{"key":"e","value":""},{"key":"a","value":"y"}]}`))
	if v, _ := st.raw(t, []byte("a")); string(v) != "y" {
		t.Errorf("lcache a = %q, want \"y\" (the last of a repeated key wins)", v)
	}
	if got := st.pttl(t, "a"); got != -1 {
		t.Errorf("PTTL a = %d, want -1 (no ttl given)", got)
	}
	body := c.expect(200, "POST", "/v1/alpha/mget",
		text(`{"keys":["b","missing","a","e","a"]}`), "Content-Type", "application/json")
	want := `{"items":[` +
		`{"key":"b","found":true,"value":"héllo <&> \"q\""},` +
		`{"key":"missing","found":false},` +
		`{"key":"a","found":true,"value":"y"},` +
		`{"key":"e","found":true,"value":""},` +
		`{"key":"a","found":true,"value":"y"}]}` + "\n"
	if string(body) != want {
		t.Errorf("mget body\n%s\nwant\n%s", body, want)
	}
	// "text" is the explicit name of the default.
	body = c.expect(200, "POST", "/v1/alpha/mget", text(`{"keys":["a"],"encoding":"text"}`))
	if want := `{"items":[{"key":"a","found":true,"value":"y"}]}` + "\n"; string(body) != want {
		t.Errorf("mget encoding text: %s, want %s", body, want)
	}
}

func TestMSetMGetBase64(t *testing.T) {
	c, st := alpha(t, Config{})
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(255 - i)
	}
	keys := [][]byte{{0}, []byte("\xff\xfe"), all, []byte("plain")}
	b64 := base64.StdEncoding.EncodeToString
	var items []string
	for i, k := range keys {
		items = append(items, fmt.Sprintf(`{"key":%q,"value":%q}`, b64(k), b64(append([]byte{byte(i)}, all...))))
	}
	c.expect(http.StatusNoContent, "POST", "/v1/alpha/mset",
		text(`{"encoding":"base64","ttl":"1h","items":[`+strings.Join(items, ",")+`]}`))
	for i, k := range keys {
		v, ok := st.raw(t, k)
		if want := append([]byte{byte(i)}, all...); !ok || string(v) != string(want) {
			t.Errorf("lcache %q = %q (found %v), want %q", k, v, ok, want)
		}
		if got := st.pttl(t, string(k)); got <= 0 || got > 3600000 {
			t.Errorf("PTTL %q = %d, want in (0, 3600000]", k, got)
		}
	}

	req := fmt.Sprintf(`{"encoding":"base64","keys":[%q,%q,%q]}`, b64(keys[2]), b64([]byte("nope")), b64(keys[0]))
	body := c.expect(200, "POST", "/v1/alpha/mget", text(req))
	var got struct {
		Items []struct {
			Key   string  `json:"key"`
			Found bool    `json:"found"`
			Value *string `json:"value"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("mget answer %s: %v", body, err)
	}
	if len(got.Items) != 3 {
		t.Fatalf("mget answered %d items, want 3: %s", len(got.Items), body)
	}
	wantItems := []struct {
		key   []byte
		found bool
		value []byte
	}{
		{keys[2], true, append([]byte{2}, all...)},
		{[]byte("nope"), false, nil},
		{keys[0], true, append([]byte{0}, all...)},
	}
	for i, w := range wantItems {
		it := got.Items[i]
		if it.Key != b64(w.key) || it.Found != w.found {
			t.Errorf("item %d: key %q found %v, want %q %v", i, it.Key, it.Found, b64(w.key), w.found)
		}
		switch {
		case !w.found && it.Value != nil:
			t.Errorf("item %d: value %q for a missing key, want none", i, *it.Value)
		case w.found && (it.Value == nil || *it.Value != b64(w.value)):
			t.Errorf("item %d: value %v, want %q", i, it.Value, b64(w.value))
		}
	}
}

func TestMSetTTL(t *testing.T) {
	c, st := alpha(t, Config{})
	tests := []struct {
		ttl     string
		wantMax int64 // ms; -1: no ttl
	}{
		{`"30s"`, 30000},
		{`"30"`, 30000},
		{`30`, 30000},
		{`null`, -1},
	}
	for _, tc := range tests {
		c.expect(http.StatusNoContent, "POST", "/v1/alpha/mset",
			text(`{"ttl":`+tc.ttl+`,"items":[{"key":"k","value":"v"}]}`))
		got := st.pttl(t, "k")
		if tc.wantMax == -1 && got != -1 || tc.wantMax > 0 && (got <= 0 || got > tc.wantMax) {
			t.Errorf("ttl %s: PTTL %d, want %d or just below", tc.ttl, got, tc.wantMax)
		}
	}
}

func TestMGetBinaryValueAsText(t *testing.T) {
	c, st := alpha(t, Config{})
	if err := st.Set(t.Context(), []byte("bin"), []byte{0xff, 0x00}, 0); err != nil {
		t.Fatal(err)
	}
	body := c.expect(http.StatusUnprocessableEntity, "POST", "/v1/alpha/mget", text(`{"keys":["bin"]}`))
	if !strings.Contains(string(body), `\"encoding\":\"base64\"`) {
		t.Errorf("body %s, want it to point at base64", body)
	}
	body = c.expect(200, "POST", "/v1/alpha/mget", text(`{"keys":["Ymlu"],"encoding":"base64"}`))
	if want := `{"items":[{"key":"Ymlu","found":true,"value":"/wA="}]}` + "\n"; string(body) != want {
		t.Errorf("base64 mget: %s, want %s", body, want)
	}
}

func TestMultiBadRequests(t *testing.T) {
	c, _ := alpha(t, Config{MaxKeys: 3})
	tests := []struct {
		name, path, body string
		status           int
		wantErr          string
	}{
		{"not JSON", "mget", `keys=a`, 400, "bad JSON body"},
		{"array", "mget", `["a"]`, 400, "bad JSON body"},
		{"trailing data", "mget", `{"keys":["a"]} {}`, 400, "data after the object"},
		{"unknown field", "mget", `{"keys":["a"],"encodng":"base64"}`, 400, `unknown field \"encodng\"`},
		{"no keys", "mget", `{}`, 400, "keys is empty"},
		{"empty keys", "mget", `{"keys":[]}`, 400, "keys is empty"},
		{"empty key", "mget", `{"keys":["a",""]}`, 400, "keys[1] is empty"},
		{"null key", "mget", `{"keys":[null]}`, 400, "keys[0] is empty"},
		{"key not a string", "mget", `{"keys":[1]}`, 400, "bad JSON body"},
		{"bad encoding", "mget", `{"keys":["a"],"encoding":"hex"}`, 400, `unknown encoding \"hex\"`},
		{"bad base64 key", "mget", `{"keys":["a!"],"encoding":"base64"}`, 400, "keys[0] is not base64"},
		{"empty base64 key", "mget", `{"keys":[""],"encoding":"base64"}`, 400, "keys[0] is empty"},
		{"too many keys", "mget", `{"keys":["a","b","c","d"]}`, 413, "4 keys, over the limit of 3"},
		{"not UTF-8", "mget", "{\"keys\":[\"\xff\"]}", 400, "body is not UTF-8"},
		{"mset no items", "mset", `{"items":[]}`, 400, "items is empty"},
		{"mset no value", "mset", `{"items":[{"key":"a"}]}`, 400, "items[0] has no value"},
		{"mset null value", "mset", `{"items":[{"key":"a","value":null}]}`, 400, "items[0] has no value"},
		{"mset empty key", "mset", `{"items":[{"key":"","value":"v"}]}`, 400, "items[0].key is empty"},
		{"mset bad base64 value", "mset", `{"encoding":"base64","items":[{"key":"YQ==","value":"%"}]}`, 400, "items[0].value is not base64"},
		{"mset bad ttl", "mset", `{"ttl":"soon","items":[{"key":"a","value":"v"}]}`, 400, `{"error":"ttl \"soon\" is neither`},
		{"mset zero ttl", "mset", `{"ttl":0,"items":[{"key":"a","value":"v"}]}`, 400, `ttl \"0\" is below 1ms`},
		{"mset empty ttl", "mset", `{"ttl":"","items":[{"key":"a","value":"v"}]}`, 400, "ttl is empty"},
		{"mset float ttl", "mset", `{"ttl":1.5,"items":[{"key":"a","value":"v"}]}`, 400, "is neither"},
		{"mset too many", "mset", `{"items":[{"key":"a","value":"v"},{"key":"a","value":"v"},{"key":"a","value":"v"},{"key":"a","value":"v"}]}`, 413, "over the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := c.expect(tc.status, "POST", "/v1/alpha/"+tc.path, text(tc.body))
			if !strings.Contains(string(body), tc.wantErr) {
				t.Errorf("body %s, want it to contain %q", body, tc.wantErr)
			}
		})
	}
	c.expect(http.StatusNotFound, "GET", "/v1/alpha/keys/a", nil) // no mset wrote anything
}
