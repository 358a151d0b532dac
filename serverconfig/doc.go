// Package serverconfig owns Wavegate's own settings: flags, environment,
// config file, secrets from files. It parses and validates them; app wires
// what they name.
package serverconfig
