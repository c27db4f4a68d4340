package tokenize

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// stdFingerprint is the definition fingerprint implements: sha256 of
// json.Marshal of what json.Unmarshal reads, computed by the standard library.
func stdFingerprint(t testing.TB, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	canon, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// TestFingerprintCanonical holds the fast canonical form to encoding/json's
// on the committed tokenizer files and on values that exercise escaping,
// numbers, key order and duplicate keys.
func TestFingerprintCanonical(t *testing.T) {
	inputs := map[string][]byte{}
	for _, family := range families {
		for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
			b, err := os.ReadFile(filepath.Join(testdata, family, f))
			if err != nil {
				t.Fatal(err)
			}
			inputs[family+"/"+f] = b
		}
	}
	for i, s := range []string{
		`{"b": 1, "a": [1.5, -2, 0, 1e21, 1e-7, 123456789012345678, 0.000001, -0.0, 1E+2, 2.50]}`,
		`{"s": "<&>\u2028\u2029 \"q\" \\ \b\f\n\r\t\u0001\u001f é \ud83d\ude00 \ud800 x", "k\u00e9": null}`,
		"{\"raw\": \"\xff\xfe ok \xc3\", \"t\": true, \"f\": false, \"e\": {}, \"l\": []}",
		`{"dup": 1, "dup": 2, "a": {"z": [ ], "y": { }}}`,
		` [ "x" , 1 , { "b" : 2 , "a" : 3 } ] `,
	} {
		inputs["case"+string(rune('0'+i))] = []byte(s)
	}
	for name, raw := range inputs {
		got, err := fingerprint(raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := stdFingerprint(t, raw); got != want {
			t.Errorf("%s: fingerprint %s, encoding/json's canonical form gives %s", name, got, want)
		}
	}
	for _, bad := range []string{`{"a": }`, `{"a": 1`, `[1, 2,]`, `{"a": tru}`, `"unterminated`, `{} x`, `{"a": 01}`} {
		if _, err := fingerprint([]byte(bad)); err == nil {
			t.Errorf("fingerprint(%q): no error", bad)
		}
	}
}
