package demo

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/internal/clock"
)

// requestsPerSecond is the traffic each simulated target serves the new
// version, in demo time: a one-hour bake counts 4,320 data points.
const requestsPerSecond = 1.2

// datapointsQuery is the pipeline's datapoints: query; the simulated
// Prometheus answers it from the range it covers.
const datapointsQuery = `sum(increase(http_requests_total{service="shop",env="{{.Target}}",version="{{.SHA}}",code!~"5.."}[{{.Since}}]))`

// prometheus is a simulated Prometheus query API on loopback: it counts
// the requests the new version of a target served since its deploy as
// steady traffic over the range the query asks about.
type prometheus struct {
	clk clock.Clock
	srv *http.Server
	url string
}

// rangeSelector finds the range of the datapoints query, e.g. [35m0s].
func rangeSelector() *regexp.Regexp { return regexp.MustCompile(`\[([0-9a-z]+)\]`) }

func startPrometheus(clk clock.Clock) (*prometheus, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: simulated Prometheus: listen on 127.0.0.1: %w", err)
	}
	p := &prometheus{clk: clk, url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", p.query)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *prometheus) Close() { _ = p.srv.Close() }

func (p *prometheus) query(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	result := []any{}
	if m := rangeSelector().FindStringSubmatch(r.Form.Get("query")); m != nil {
		if since, err := model.ParseDuration(m[1]); err == nil {
			count := requestsPerSecond * time.Duration(since).Seconds()
			result = append(result, map[string]any{"metric": map[string]string{},
				"value": []any{float64(p.clk.Now().Unix()), strconv.FormatFloat(count, 'f', 0, 64)}})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success",
		"data": map[string]any{"resultType": "vector", "result": result}})
}
