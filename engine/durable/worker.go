package durable

import (
	"context"

	"github.com/riverqueue/river"
)

// deliverArgs are a delivery job's arguments: the event to deliver.
type deliverArgs struct {
	EventID string `json:"eventId"`
}

// Kind implements river.JobArgs.
func (deliverArgs) Kind() string { return "rota_deliver" }

// deliveryWorker delivers one event per job.
type deliveryWorker struct {
	river.WorkerDefaults[deliverArgs]
	s *Service
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.s.deliver(ctx, job.Args.EventID)
}

func (s *Service) deliver(ctx context.Context, id string) error { return nil }

// rescueAbandoned is filled in with the worker.
func (s *Service) rescueAbandoned(ctx context.Context) error { return nil }
