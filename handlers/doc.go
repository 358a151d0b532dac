// Package handlers owns Wavegate's inbound edge: the GitHub webhook endpoint
// (verify, persist, acknowledge), the routing of stored deliveries to event
// handlers through one route table (routes.go), the App-manifest setup
// flow, and Slack's slash commands and button presses (slack*.go: verify,
// persist, acknowledge; run from the inbox through the command runner).
// Nothing slow happens before a webhook is acknowledged; everything
// else happens in inbox workers.
package handlers
