package deploy

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// environ is the program's environment: the base without Wavegate's
// settings or secrets, then the account's identity, the operator's
// variables, the step's WAVEGATE_* variables and the repository's inputs,
// later ones winning.
func (c Command) environ(req Request) ([]string, error) {
	base := c.Env
	if base == nil {
		base = os.Environ()
	}
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "WAVEGATE_") || holdsSecret(v, c.Secrets) {
			continue
		}
		set(k, v)
	}
	if a := c.Account; a != nil {
		set("HOME", a.Home)
		set("USER", a.Name)
		set("LOGNAME", a.Name)
	}
	// os/exec keeps PWD in step with Dir only when it builds the environment
	// itself; a script that reads $PWD must not see Wavegate's.
	if c.Dir != "" {
		if abs, err := filepath.Abs(c.Dir); err == nil {
			set("PWD", abs)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.SetEnv)) {
		set(k, c.SetEnv[k])
	}
	set("WAVEGATE_REPOSITORY", req.Repository)
	set("WAVEGATE_PIPELINE", req.Pipeline)
	set("WAVEGATE_RELEASE", req.Release)
	set("WAVEGATE_STAGE", req.Stage)
	set("WAVEGATE_TARGET", req.Target)
	set("WAVEGATE_ACTION", string(req.Action))
	set("WAVEGATE_VARIANT", string(req.Variant))
	set("WAVEGATE_SHA", req.SHA)
	set("WAVEGATE_PREVIOUS_SHA", req.PreviousSHA)
	for _, k := range slices.Sorted(maps.Keys(req.Inputs)) {
		v := req.Inputs[k]
		if !validInputName(k) || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("input %q cannot be passed as an environment variable", k)
		}
		set("WAVEGATE_INPUT_"+k, v)
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env, nil
}

// holdsSecret reports whether v carries one of the secrets.
func holdsSecret(v string, secrets []string) bool {
	for _, s := range secrets {
		if s != "" && strings.Contains(v, s) {
			return true
		}
	}
	return false
}

// validInputName is the pipeline parser's rule for input names (upper-case
// letters, digits and "_", starting with a letter), checked again here
// because a stored state is not trusted to have been parsed by this version.
func validInputName(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return true
}
