package app

import "github.com/wavegate/wavegate/serverconfig"

// Config is Wavegate's own settings; serverconfig parses and validates
// them, app wires what they name.
type Config = serverconfig.Config

// DeployerConfig is one command deployer the operator defines.
type DeployerConfig = serverconfig.DeployerConfig
