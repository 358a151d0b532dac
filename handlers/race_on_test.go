//go:build race

package handlers

// raceEnabled: the race detector's shadow memory multiplies RSS several times.
const raceEnabled = true
