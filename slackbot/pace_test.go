package slackbot

import "testing"

func TestIsChannelID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"C0DEPLOYS", true},
		{"G0123ABC", true},
		{"D024BE91L", true},
		{"#C0DEPLOYS", false},
		{"deploys", false},
		{"#deploys", false},
		{"ci-builds", false}, // lower-case c: a name
		{"C", false},
		{"Cdeploys", false},
		{"X0123", false},
		{"", false},
	} {
		if got := isChannelID(tc.in); got != tc.want {
			t.Errorf("isChannelID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{"#Deploys": "deploys", "deploys": "deploys", " #a-b ": "a-b"} {
		if got := normalizeName(in); got != want {
			t.Errorf("normalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
