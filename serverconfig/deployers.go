package serverconfig

import (
	"maps"
	"slices"

	"github.com/wavegate/wavegate/deploy"
)

// DeployerConfig is one command deployer the operator defines, an entry of
// deployers: in the config file.
type DeployerConfig = deploy.Definition

// CheckServerConfig reads a server config file as `wavegate serve
// --config` does and checks its deployers as start does, running as
// euid, for `wavegate validate --server-config`. It returns the deployers'
// names and what start would log as warnings.
func CheckServerConfig(path, workDir string, euid int) (names, warnings []string, err error) {
	cfg := DefaultConfig()
	file, err := readConfigFile(path, cfg.options())
	if err != nil {
		return nil, nil, err
	}
	_, warnings, err = deploy.Prepare(file.deployers, workDir, euid)
	if err != nil {
		return nil, nil, err
	}
	return slices.Sorted(maps.Keys(file.deployers)), warnings, nil
}
