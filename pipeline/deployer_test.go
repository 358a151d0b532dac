package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A name the server does not define is an error where the name is written;
// Parse alone cannot tell, since the names are the server's.
func TestCheckDeployers(t *testing.T) {
	const file = "pipelines:\n" +
		"  app:\n    alarms: {queries: {q: up}}\n    deployer: {command: bleu}\n    stages: [{name: a, targets: [a], bake: 0s}]\n" +
		"  infra:\n    alarms: {queries: {q: up}}\n    deployer:\n      command: terraform\n    stages: [{name: b, targets: [b], bake: 0s}]\n" +
		"  site:\n    alarms: {queries: {q: up}}\n    stages: [{name: c, targets: [c], bake: 0s}]\n"
	ps, diags := parseYAML(t, file)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tc := range []struct {
		name  string
		known []string
		want  []string
	}{
		{"both defined", []string{"terraform", "bleu"}, nil},
		{"a typo", []string{"blue", "terraform"}, []string{
			`4:25: error: pipelines.app.deployer.command: Wavegate's server defines no deployer "bleu" (did you mean "blue"?) (it defines blue, terraform); its operator adds one under deployers: in Wavegate's config file`,
		}},
		{"none defined", nil, []string{
			`4:25: error: pipelines.app.deployer.command: Wavegate's server defines no deployer "bleu" (it defines none); its operator adds one under deployers: in Wavegate's config file`,
			`9:16: error: pipelines.infra.deployer.command: Wavegate's server defines no deployer "terraform" (it defines none); its operator adds one under deployers: in Wavegate's config file`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lines(CheckDeployers(testFile, ps, tc.known)); !slices.Equal(got, tc.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestValidDeployerName(t *testing.T) {
	for name, want := range map[string]bool{
		"blue": true, "k8s-prod_2": true, "0": true,
		"": false, "Blue": false, "-x": false, "a b": false, "./deploy.sh": false, strings.Repeat("a", 65): false,
	} {
		if got := ValidDeployerName(name); got != want {
			t.Errorf("ValidDeployerName(%q) = %v, want %v", name, got, want)
		}
	}
}

// An engine state stored when repositories gave their own argv decodes,
// with no name: the step then fails with its reason rather than the whole
// state failing to load.
func TestDeployerStoredWithAnArgvDecodesWithoutAName(t *testing.T) {
	var d Deployer
	if err := json.Unmarshal([]byte(`{"Kind":"command","Command":["./deploy.sh","--fast"],"Workflow":""}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.Kind != DeployerCommand || d.Name != "" || d.Inputs != nil {
		t.Errorf("decoded %+v", d)
	}
}
