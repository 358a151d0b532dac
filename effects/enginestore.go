package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wavegate/wavegate/engine"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// engineDoc is what is stored per pipeline: the state and the pipeline it
// was planned with, so that after a restart the runner can wake it before
// any new push says what the configuration is.
type engineDoc struct {
	Pipeline pipeline.Pipeline `json:"pipeline"`
	State    pipeline.State    `json:"state"`
}

// deployPayload is a deploy effect in the outbox: the step and what the
// effects worker needs to perform it.
type deployPayload struct {
	Repository string                `json:"repository"`
	Deployer   pipeline.Deployer     `json:"deployer"`
	Effect     pipeline.DeployEffect `json:"effect"`
}

// noticePayload is a notice in the outbox, with where it belongs.
type noticePayload struct {
	Repository string          `json:"repository"`
	Pipeline   string          `json:"pipeline"`
	Notice     pipeline.Notice `json:"notice"`
}

// EngineStore adapts the store to the engine's Store and Pipelines: each
// save stores the state with the effects its decisions need.
type EngineStore struct {
	DB store.Engine
	// Slack says whether releases are also reported in Slack.
	Slack bool
	// Saved is told when a save added effects, to wake the outbox worker.
	Saved func()
	// OnSaved, when set, is told every save (tests).
	OnSaved func(pipeline.Key, pipeline.Result)
	// Metrics, when set, observe the releases each save records.
	Metrics *DeliveryMetrics
}

// load reads the stored document of key into doc, which names the half it
// wants decoded: the other half is kept raw, since decoding the state is
// most of a wake-up's cost.
func (e *EngineStore) load(ctx context.Context, key pipeline.Key, doc any) (int64, error) {
	es, err := e.DB.LoadEngineState(ctx, store.EngineKey{Repository: key.Repository, Pipeline: key.Pipeline})
	if err != nil || es.Version == 0 {
		return 0, err
	}
	if err := json.Unmarshal(es.State, doc); err != nil {
		return 0, fmt.Errorf("decode engine state of %s/%s: %w", key.Repository, key.Pipeline, err)
	}
	return es.Version, nil
}

// Load returns the pipeline's state.
func (e *EngineStore) Load(ctx context.Context, key pipeline.Key) (pipeline.State, int64, error) {
	var doc struct {
		Pipeline json.RawMessage `json:"pipeline"`
		State    pipeline.State  `json:"state"`
	}
	version, err := e.load(ctx, key, &doc)
	return doc.State, version, err
}

// LoadWithPipeline returns the state and the pipeline it was last planned
// with, in one read.
func (e *EngineStore) LoadWithPipeline(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error) {
	var doc engineDoc
	version, err := e.load(ctx, key, &doc)
	if err != nil {
		return pipeline.Pipeline{}, pipeline.State{}, 0, err
	}
	if version == 0 {
		return pipeline.Pipeline{}, pipeline.State{}, 0, fmt.Errorf("no configuration known for pipeline %s of %s", key.Pipeline, key.Repository)
	}
	return doc.Pipeline, doc.State, version, nil
}

// Pipeline returns the pipeline a stored state was last planned with.
func (e *EngineStore) Pipeline(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, error) {
	var doc struct {
		Pipeline pipeline.Pipeline `json:"pipeline"`
		State    json.RawMessage   `json:"state"`
	}
	version, err := e.load(ctx, key, &doc)
	if err != nil {
		return pipeline.Pipeline{}, err
	}
	if version == 0 {
		return pipeline.Pipeline{}, fmt.Errorf("no configuration known for pipeline %s of %s", key.Pipeline, key.Repository)
	}
	return doc.Pipeline, nil
}

// Save stores state, pipeline, effects and release history in one
// transaction.
func (e *EngineStore) Save(ctx context.Context, key pipeline.Key, version int64, p pipeline.Pipeline, res pipeline.Result, now time.Time) error {
	doc, err := json.Marshal(engineDoc{Pipeline: p, State: res.State})
	if err != nil {
		return fmt.Errorf("encode engine state of %s/%s: %w", key.Repository, key.Pipeline, err)
	}
	effects := make([]store.Effect, 0, len(res.Deploys)+len(res.Notices))
	for _, d := range res.Deploys {
		payload, err := json.Marshal(deployPayload{Repository: key.Repository, Deployer: p.Deployer, Effect: d})
		if err != nil {
			return fmt.Errorf("encode deploy %s: %w", d.Step.Key, err)
		}
		effects = append(effects, store.Effect{Key: OutboxKey(key, d.Step.Key), Kind: KindDeploy, Payload: payload, CreatedAt: now})
	}
	for _, n := range res.Notices {
		payload, err := json.Marshal(noticePayload{Repository: key.Repository, Pipeline: key.Pipeline, Notice: n})
		if err != nil {
			return fmt.Errorf("encode notice: %w", err)
		}
		k := fmt.Sprintf("notice/r%d/%s/%s/%s", n.ReleaseID, n.Kind, n.Stage, n.Target)
		effects = append(effects, store.Effect{Key: OutboxKey(key, k), Kind: KindNotice, Payload: payload, CreatedAt: now})
	}
	reports, err := reportEffects(key, version, p, res, e.Slack, now)
	if err != nil {
		return fmt.Errorf("report effects: %w", err)
	}
	effects = append(effects, reports...)
	statuses, err := deploymentStatusEffects(key, p, res, now)
	if err != nil {
		return fmt.Errorf("deployment status effects: %w", err)
	}
	effects = append(effects, statuses...)
	history, err := e.historyEvents(ctx, key, p, res, now)
	if err != nil {
		return fmt.Errorf("release history: %w", err)
	}
	_, err = e.DB.SaveEngineState(ctx, store.EngineState{
		EngineKey: store.EngineKey{Repository: key.Repository, Pipeline: key.Pipeline},
		Version:   version, State: doc, WakeAt: res.WakeAt, History: history, Decisions: decisionEvents(key, res, now),
	}, effects, now)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", engine.ErrConflict, err)
	}
	if err != nil {
		return err
	}
	e.Metrics.observe(history)
	if len(effects) > 0 && e.Saved != nil {
		e.Saved()
	}
	if e.OnSaved != nil {
		e.OnSaved(key, res)
	}
	return nil
}

// Due lists the pipelines whose wake time has come.
func (e *EngineStore) Due(ctx context.Context, now time.Time, limit int) ([]pipeline.Key, error) {
	keys, err := e.DB.DueEngineStates(ctx, now, limit)
	out := make([]pipeline.Key, len(keys))
	for i, k := range keys {
		out[i] = pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline}
	}
	return out, err
}

// NextWake is the earliest stored wake time.
func (e *EngineStore) NextWake(ctx context.Context) (time.Time, bool, error) {
	return e.DB.NextEngineWake(ctx)
}
