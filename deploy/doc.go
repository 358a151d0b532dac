// Package deploy owns deployers: the adapters that put a release on a target.
// GitHub Deployments and a local command (one the server's operator defines,
// run as an unprivileged account when Wavegate runs as root) are here, and an
// Actions workflow comes later. A deployer takes a Request, which says everything about one
// step of a pipeline and nothing about how the engine decided on it, and
// answers with a Result a human can read in a report.
package deploy
