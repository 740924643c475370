package durable

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Service's Prometheus metrics. Labels take only bounded
// values: marketplace ids of the engine ("unknown" for any other), outcomes
// and reasons named here.
type metrics struct {
	reg        prometheus.Registerer
	accepted   *prometheus.CounterVec
	delivered  *prometheus.CounterVec
	dead       *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	queue      *queueCollector
	registered []prometheus.Collector
}

func newMetrics(reg prometheus.Registerer, s *Service) (*metrics, error) {
	m := &metrics{
		reg: reg,
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_events_accepted_total",
			Help: "Events posted, by marketplace and outcome: pending (stored for delivery), ignored, duplicate, or the refusal's kind (invalid_event, rejected, unsupported, unknown_marketplace).",
		}, []string{"marketplace", "outcome"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_events_delivered_total",
			Help: "Events whose calls were all accepted by the marketplace, by marketplace.",
		}, []string{"marketplace"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_events_dead_total",
			Help: "Events that became dead, by marketplace and outcome: refused (by the marketplace), exhausted (retry schedule), failed (no retry possible), rejected (the event no longer translates).",
		}, []string{"marketplace", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_delivery_attempts_total",
			Help: "Call attempts, by marketplace and outcome (success, refused, failed, canceled).",
		}, []string{"marketplace", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rota_delivery_latency_seconds",
			Help:    "Time from an event's acceptance to its delivery, by marketplace.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 18000, 36000, 100000},
		}, []string{"marketplace"}),
		queue: &queueCollector{s: s,
			depth: prometheus.NewDesc("rota_queue_depth", "Pending events (waiting or retrying).", nil, nil),
			age:   prometheus.NewDesc("rota_oldest_pending_age_seconds", "Age of the oldest pending event; 0 when none.", nil, nil),
			dead:  prometheus.NewDesc("rota_dead_events", "Dead events waiting for an operator (replay or skip).", nil, nil),
		},
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.accepted, m.delivered, m.dead, m.attempts, m.latency, m.queue} {
		if err := reg.Register(c); err != nil {
			m.unregister()
			return nil, fmt.Errorf("durable: metrics: %w", err)
		}
		m.registered = append(m.registered, c)
	}
	return m, nil
}

func (m *metrics) unregister() {
	for _, c := range m.registered {
		m.reg.Unregister(c)
	}
	m.registered = nil
}

// queueCollector reads the queue's depth from the database at each scrape,
// so that it counts the events of every process sharing the database.
type queueCollector struct {
	s                *Service
	depth, age, dead *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.age
	ch <- c.dead
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pending, oldest, dead int64
	q := c.s.be.pool()
	if err := q.queryRow(ctx, `SELECT count(*), COALESCE(min(accepted_at), 0) FROM rota_events WHERE state = 'pending'`).Scan(&pending, &oldest); err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	if err := q.queryRow(ctx, `SELECT count(*) FROM rota_events WHERE state = 'dead'`).Scan(&dead); err != nil {
		ch <- prometheus.NewInvalidMetric(c.dead, err)
		return
	}
	age := 0.0
	if oldest > 0 {
		age = max(c.s.now().Sub(fromMicros(oldest)).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(dead))
}
