// Package githubfake is a stateful, recording fake of the GitHub REST API, on
// httptest, used by Wavegate's tests to assert behaviour and the exact number
// of API calls.
//
// A test seeds state with the Add*/Set* methods, points the code under test at
// URL(), and afterwards reads what was done (CheckRuns, Deployments, Comments)
// and how (Requests, Count, CountExcept). Every route the fake serves is listed
// in ROUTES.txt and checked against GitHub's OpenAPI description: at cleanup,
// each recorded request must match an operation of the description and carry
// a body its schema accepts, so a client that calls an endpoint GitHub does not
// have, or sends a body GitHub would reject, fails its test here rather than in
// production.
//
// Start runs the same fake outside a test, on 127.0.0.1, for `wavegate demo`:
// it has no OpenAPI check at Close, and OnDeployment lets a simulated
// deployment system answer each deployment (AddDeploymentStatus).
//
// The fake speaks plain JSON and does not depend on go-github; responses carry
// the fields Wavegate reads, with the types GitHub's schemas give them.
package githubfake
