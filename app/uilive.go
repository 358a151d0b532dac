package app

import (
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/web"
)

// liveUpdates makes the broker of the pages' live updates and feeds it
// every engine state saved, once committed, keeping the hook already set
// (tests'). It runs before Serve starts anything that saves, so setting
// the hook races nothing.
func (a *App) liveUpdates() *web.Live {
	live := web.NewLive(web.MaxStreams)
	prev := a.engine.OnSaved
	a.engine.OnSaved = func(key pipeline.Key, res pipeline.Result) {
		live.Publish(key)
		if prev != nil {
			prev(key, res)
		}
	}
	a.live = live
	return live
}
