// Package notify owns Wavegate's reports: what it writes on GitHub (check-run
// summaries now; PR comments, deployment statuses and Slack messages as they
// land), always rendered from the embedded templates, escaped so that names
// and text from users cannot inject markup or mentions, and kept within
// GitHub's size limits.
package notify
