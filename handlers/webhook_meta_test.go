package handlers

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/internal/fakes/githubfake/webhooks"
)

// metaByUnmarshal is what readMeta replaced, and what it must agree with.
func metaByUnmarshal(payload []byte) deliveryMeta {
	var m struct {
		Action       string `json:"action"`
		Installation *struct {
			ID int64 `json:"id"`
		} `json:"installation"`
		Repository *struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	_ = json.Unmarshal(payload, &m)
	out := deliveryMeta{Action: m.Action}
	if m.Installation != nil {
		out.InstallationID = m.Installation.ID
	}
	if m.Repository != nil {
		out.Repository = m.Repository.FullName
	}
	return out
}

// metaCases are the corners where a one-pass reader could part from
// json.Unmarshal: key folding and escapes, duplicate keys, null, values of
// the wrong type, numbers an int64 does not take, and bodies broken after
// the fields (json.Unmarshal validates everything first).
var metaCases = []struct {
	name, body string
	want       deliveryMeta
}{
	{"typical", prPayload, deliveryMeta{"opened", 42, "acme/api"}},
	{"fields last", `{"pull_request":{"action":"x","id":5,"full_name":"y"},"repository":{"full_name":"a/b"},"installation":{"id":3},"action":"closed"}`,
		deliveryMeta{"closed", 3, "a/b"}},
	{"no fields", `{"zen":"Keep it logically awesome."}`, deliveryMeta{}},
	{"keys in other cases", `{"ACTION":"a","Installation":{"Id":1},"rePository":{"FULL_name":"x/y"}}`, deliveryMeta{"a", 1, "x/y"}},
	{"key with long s folds to S", `{"action":"a","repoſitory":{"full_name":"x/y"},"inſtallation":{"id":9}}`, deliveryMeta{"a", 9, "x/y"}},
	{"escaped key", `{"\u0061ction":"a","repo\u0073itory":{"full\u005fname":"x/y"}}`, deliveryMeta{"a", 0, "x/y"}},
	{"escaped and non-ASCII values", `{"action":"\u00e9t\u00e9\n","repository":{"full_name":"café/\ud83d\ude00"}}`, deliveryMeta{"été\n", 0, "café/😀"}},
	{"lone surrogate", `{"action":"\ud800x"}`, deliveryMeta{"\ufffdx", 0, ""}},
	{"invalid UTF-8 in a value", "{\"action\":\"a\xffb\"}", deliveryMeta{"a\ufffdb", 0, ""}},
	{"last duplicate wins", `{"action":"a","action":"b","installation":{"id":1},"installation":{"id":2}}`, deliveryMeta{"b", 2, ""}},
	{"second object merges into the first", `{"installation":{"id":1},"installation":{}}`, deliveryMeta{"", 1, ""}},
	{"null clears an object", `{"installation":{"id":1},"installation":null,"repository":{"full_name":"a/b"},"repository":null}`, deliveryMeta{}},
	{"null leaves a string and a number", `{"action":"a","action":null,"installation":{"id":1,"id":null}}`, deliveryMeta{"a", 1, ""}},
	{"wrong types leave what was there", `{"action":"a","action":7,"action":[],"action":{},"action":true,"installation":{"id":4},"installation":"5","installation":[1],"repository":{"full_name":"a/b"},"repository":7}`,
		deliveryMeta{"a", 4, "a/b"}},
	{"ids an int64 does not take", `{"installation":{"id":3,"id":1.5,"id":1e2,"id":"6","id":9223372036854775808,"id":true}}`, deliveryMeta{"", 3, ""}},
	{"negative and largest ids", `{"installation":{"id":-0,"id":-7}}`, deliveryMeta{"", -7, ""}},
	{"largest id", `{"installation":{"id":9223372036854775807}}`, deliveryMeta{"", 9223372036854775807, ""}},
	{"whitespace everywhere", " \t\r\n{ \"action\" :\n\"a\" , \"installation\" : { \"id\" : 2 } }\n ", deliveryMeta{"a", 2, ""}},
	{"broken after the fields", `{"action":"a","installation":{"id":1},"x":}`, deliveryMeta{}},
	{"trailing comma", `{"action":"a",}`, deliveryMeta{}},
	{"trailing data", `{"action":"a"} {}`, deliveryMeta{}},
	{"leading zero", `{"action":"a","n":01}`, deliveryMeta{}},
	{"bad escape", `{"action":"a","n":"\x"}`, deliveryMeta{}},
	{"control character in a string", "{\"action\":\"a\tb\"}", deliveryMeta{}},
	{"unterminated", `{"action":"a"`, deliveryMeta{}},
	{"top level array", `[{"action":"a"}]`, deliveryMeta{}},
	{"top level null", `null`, deliveryMeta{}},
	{"empty", ``, deliveryMeta{}},
	{"form body", `payload=%7B%22action%22%3A%22a%22%7D`, deliveryMeta{}},
	{"nested at the limit", `{"action":"a","n":` + strings.Repeat("[", maxMetaDepth-1) + strings.Repeat("]", maxMetaDepth-1) + `}`, deliveryMeta{"a", 0, ""}},
	{"nested past the limit", `{"action":"a","n":` + strings.Repeat("[", maxMetaDepth) + strings.Repeat("]", maxMetaDepth) + `}`, deliveryMeta{}},
}

func TestReadMeta(t *testing.T) {
	for _, tc := range metaCases {
		t.Run(tc.name, func(t *testing.T) {
			got := readMeta([]byte(tc.body))
			if got != tc.want {
				t.Errorf("readMeta = %+v, want %+v", got, tc.want)
			}
			// The expectations above are json.Unmarshal's; this keeps them so.
			if ref := metaByUnmarshal([]byte(tc.body)); ref != tc.want {
				t.Errorf("json.Unmarshal gives %+v, the case says %+v", ref, tc.want)
			}
		})
	}
}

// TestReadMetaAgreesOnMutatedExamples runs readMeta against json.Unmarshal
// on every documented example payload and on many random corruptions of
// them (a byte changed, dropped or doubled, a tail cut off), so that every
// plain `go test` checks random bodies beside FuzzReadMeta's seeds.
func TestReadMetaAgreesOnMutatedExamples(t *testing.T) {
	examples, err := webhooks.Examples()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(10, 13))
	// JSON's own bytes, so that mutations reach the grammar's corners.
	const alphabet = "{}[]\":,\\ \t\n0123456789-+.eEtrufalsn\x00\x1f\x7f\xc3\xa9\xff"
	for _, ex := range examples {
		if got, want := readMeta(ex.Payload), metaByUnmarshal(ex.Payload); got != want {
			t.Fatalf("%s %s: readMeta %+v, json.Unmarshal %+v", ex.Event, ex.Action, got, want)
		}
		for range 40 {
			b := append([]byte(nil), ex.Payload...)
			// Mutate near the fields now and then, where agreement matters most.
			at := rng.IntN(len(b))
			if rng.IntN(2) == 0 {
				if k := strings.Index(string(b), `"installation"`); k >= 0 && rng.IntN(2) == 0 {
					at = k + rng.IntN(min(40, len(b)-k))
				} else {
					at = rng.IntN(min(len(b), 80))
				}
			}
			switch rng.IntN(4) {
			case 0:
				b[at] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:at], b[at+1:]...)
			case 2:
				b = append(b[:at+1], b[at:]...)
			case 3:
				b = b[:at]
			}
			if got, want := readMeta(b), metaByUnmarshal(b); got != want {
				t.Fatalf("%s %s mutated at %d: readMeta %+v, json.Unmarshal %+v\nbody: %q", ex.Event, ex.Action, at, got, want, b)
			}
		}
	}
}

// FuzzReadMeta: whatever the body, readMeta gives what json.Unmarshal gives
// (both yield nothing for a body that is not JSON). Seeds: every documented
// example payload and the corner cases above.
//
//	go test -run '^$' -fuzz FuzzReadMeta -fuzztime 5m ./handlers
func FuzzReadMeta(f *testing.F) {
	examples, err := webhooks.Examples()
	if err != nil {
		f.Fatal(err)
	}
	for _, ex := range examples {
		f.Add(ex.Payload)
	}
	for _, tc := range metaCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := readMeta(body), metaByUnmarshal(body); got != want {
			t.Fatalf("readMeta %+v, json.Unmarshal %+v", got, want)
		}
	})
}
