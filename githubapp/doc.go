// Package githubapp owns Wavegate's GitHub App plumbing: authentication as the
// App (JWT) and as its installations (ghinstallation tokens), the HTTP
// transport stack every GitHub call goes through, and the classification of
// GitHub errors into transient and permanent ones.
//
// Every client built here sends its requests through the same layers,
// outermost first:
//
//	rateLimit -> etagCache -> auth (ghinstallation) -> count -> Base
//
// rateLimit answers from memory while GitHub has told us to wait, so a blocked
// client costs no network call and no quota; it is outermost so that it also
// sees the 200 that etagCache makes of a 304, with that 304's fresh counts.
// etagCache turns repeated GETs into conditional requests, whose 304 answers
// do not count against the primary rate limit; it sits above auth, so its
// entries are keyed by client (installation) rather than by token, which
// changes every hour. count sits below auth because ghinstallation fetches
// installation tokens through its inner transport: count sees every request
// that really leaves the process, token requests included.
//
// Nothing in the stack sleeps: a rate limit is returned as a *RateLimitError
// whose RetryAt tells the caller (the inbox worker) when to try again.
package githubapp
