// Package deploy owns deployers: the adapters that put a release on a target.
// GitHub Deployments come next, a local command is here now, and an Actions
// workflow later. A deployer takes a Request, which says everything about one
// step of a pipeline and nothing about how the engine decided on it, and
// answers with a Result a human can read in a report.
package deploy
