package config

import "testing"

func TestDiagnosticString(t *testing.T) {
	for _, tc := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: ".github/wavegate.yml", Line: 12, Column: 5, Message: `unknown key "aprovals" in review (did you mean "approvals"?)`},
			`.github/wavegate.yml:12:5: error: unknown key "aprovals" in review (did you mean "approvals"?)`},
		{Diagnostic{File: "w.yml", Line: 3, Severity: SeverityWarning, Message: "m"}, "w.yml:3: warning: m"},
		{Diagnostic{File: "w.yml", Message: "too big"}, "w.yml: error: too big"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestDiagnosticsErrors(t *testing.T) {
	warn := Diagnostic{File: "f", Line: 1, Column: 1, Severity: SeverityWarning, Message: "w"}
	err := Diagnostic{File: "f", Line: 2, Column: 1, Severity: SeverityError, Message: "e"}
	if (Diagnostics{}).HasErrors() || (Diagnostics{warn}).HasErrors() {
		t.Error("warnings alone reported as errors")
	}
	ds := Diagnostics{warn, err, err}
	if !ds.HasErrors() {
		t.Error("HasErrors missed an error")
	}
	if got, want := ds.Error(), "f:2:1: error: e\nf:2:1: error: e"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if (Diagnostic{}).Severity != SeverityError {
		t.Error("a diagnostic without a severity must count as an error")
	}
}
