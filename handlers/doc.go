// Package handlers owns Wavegate's inbound edge: the GitHub webhook endpoint
// (verify, persist, acknowledge), the routing of stored deliveries to event
// handlers through one route table (routes.go), and the App-manifest setup
// flow. Nothing slow happens before a webhook is acknowledged; everything
// else happens in inbox workers.
package handlers
