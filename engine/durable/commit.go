package durable

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// errCommitterClosed is the error of a write handed to a closed Service.
var errCommitterClosed = errors.New("durable: the service is closed")

// maxGroup is the most writes one group transaction holds.
const maxGroup = 128

// groupCommitter runs the writes of concurrent callers (acceptances, the
// workers' bookkeeping) in shared transactions: group commit. A committer
// goroutine takes the first waiting write, then every write that is waiting by then
// (up to maxGroup), runs them one after another in one transaction, each
// under a savepoint of its own, commits once and answers each caller. While
// a transaction runs, the next writes gather: there is no timer, a lone
// write commits at once, and the group grows with the load. SQLite has one
// committer (one writer); Postgres has pgCommitters, so that the round
// trips of one group's statements overlap another group's commit.
//
// A write that fails is rolled back to its savepoint and its caller gets
// its error; the others still commit. A failure of the transaction itself
// (begin, commit, a savepoint) is every remaining caller's error, and
// nothing of the group is stored. A caller is answered only once the
// transaction that holds its write has committed (or failed), so a nil
// error means its write is durable.
//
// Within a group, writes run in the order of their keys (the order key),
// so that two groups (of one process or of two sharing a Postgres
// database) take the rows of several orders in the same order and cannot
// deadlock on them.
//
// A groupCommitter is safe for concurrent use.
type groupCommitter struct {
	be    backend
	queue chan *groupWrite
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	// running counts the committer goroutines.
	running sync.WaitGroup
}

// groupWrite is one caller's write.
type groupWrite struct {
	ctx context.Context // the caller's: a write whose caller gave up before its turn is not run
	key string
	fn  func(ctx context.Context, tx *groupTx) error
	err chan error
}

// groupTx is a group's transaction. Besides the txn's methods, it inserts
// the delivery jobs of the events its writes accept all at once, with
// River's InsertManyTx, once every write has run and before it commits.
type groupTx struct {
	txn
	jobs []string // the events whose jobs are still to insert, in order
}

// insertJobLater inserts the event's delivery job in this transaction,
// with the group's others, before it commits.
func (t *groupTx) insertJobLater(eventID string) { t.jobs = append(t.jobs, eventID) }

// jobPending tells whether the event's job is still to insert (its
// job_id is not set yet).
func (t *groupTx) jobPending(eventID string) bool { return slices.Contains(t.jobs, eventID) }

// flushJobs inserts the jobs insertJobLater noted, in one statement, and
// records each event's job id in one more.
func (t *groupTx) flushJobs(ctx context.Context) error {
	if len(t.jobs) == 0 {
		return nil
	}
	ids, err := t.txn.insertJobs(ctx, t.jobs)
	if err != nil {
		return err
	}
	var q strings.Builder
	args := make([]any, 0, 2*len(t.jobs))
	q.WriteString(`UPDATE rota_events SET job_id = CASE id`)
	for i, id := range t.jobs {
		fmt.Fprintf(&q, ` WHEN $%d THEN CAST($%d AS BIGINT)`, 2*i+1, 2*i+2)
		args = append(args, id, ids[i])
	}
	q.WriteString(` END WHERE id IN (`)
	for i := range t.jobs {
		if i > 0 {
			q.WriteString(`, `)
		}
		fmt.Fprintf(&q, `$%d`, 2*i+1)
	}
	q.WriteString(`)`)
	_, err = t.exec(ctx, q.String(), args...)
	t.jobs = t.jobs[:0]
	return err
}

// pgCommitters is how many group transactions run at once on Postgres.
const pgCommitters = 4

func newGroupCommitter(be backend) *groupCommitter {
	g := &groupCommitter{be: be, queue: make(chan *groupWrite), quit: make(chan struct{}), done: make(chan struct{})}
	n := 1
	if be.kind() == "postgres" {
		n = pgCommitters
	}
	g.running.Add(n)
	for range n {
		go g.run()
	}
	go func() {
		g.running.Wait()
		close(g.done)
	}()
	return g
}

// do runs fn in a group transaction and returns once that transaction has
// committed (nil, or fn's own error with fn's writes rolled back) or
// failed. fn must use the context it is given, not the caller's, and must
// not call do. Errors: fn's, the transaction's, ctx's when it ended before
// fn ran (fn did not run), errCommitterClosed.
func (g *groupCommitter) do(ctx context.Context, key string, fn func(ctx context.Context, tx *groupTx) error) error {
	w := &groupWrite{ctx: ctx, key: key, fn: fn, err: make(chan error, 1)}
	select {
	case g.queue <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errCommitterClosed
	}
	return <-w.err
}

// close stops the committer once the group running, if any, has
// committed. Writes handed to it afterwards fail with errCommitterClosed.
func (g *groupCommitter) close() {
	g.once.Do(func() { close(g.quit) })
	<-g.done
}

func (g *groupCommitter) run() {
	defer g.running.Done()
	for {
		var group []*groupWrite
		select {
		case w := <-g.queue:
			group = append(group, w)
		case <-g.quit:
			return
		}
	gather:
		for len(group) < maxGroup {
			select {
			case w := <-g.queue:
				group = append(group, w)
			default:
				break gather
			}
		}
		g.commit(group)
	}
}

// commit runs one group in one transaction and answers its callers.
func (g *groupCommitter) commit(group []*groupWrite) {
	live := make([]*groupWrite, 0, len(group))
	for _, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.err <- err
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *groupWrite) int { return strings.Compare(a.key, b.key) })
	errs := make([]error, len(live))
	ctx, cancel := context.WithTimeout(context.Background(), bookkeepingTimeout)
	defer cancel()
	err := g.be.inTx(ctx, func(tx txn) error {
		gtx := &groupTx{txn: tx}
		if len(live) == 1 {
			if errs[0] = live[0].fn(ctx, gtx); errs[0] != nil {
				return errs[0]
			}
			return gtx.flushJobs(ctx)
		}
		if _, err := gtx.exec(ctx, `SAVEPOINT rota_write`); err != nil {
			return err
		}
		for i, w := range live {
			if err := runSavepoint(ctx, gtx, w.fn, &errs[i], i == len(live)-1); err != nil {
				return err
			}
		}
		return gtx.flushJobs(ctx)
	})
	for i, w := range live {
		if errs[i] == nil {
			errs[i] = err
		}
		w.err <- errs[i]
	}
}

// runSavepoint runs fn under the savepoint taken before it: fn's error is
// kept in *fnErr and its writes (and the jobs it noted) rolled back. It
// then releases the savepoint and, unless last, takes the next write's, in
// one round trip (statements without arguments go as one simple query).
// The error returned is the transaction's.
func runSavepoint(ctx context.Context, tx *groupTx, fn func(context.Context, *groupTx) error, fnErr *error, last bool) error {
	jobs := len(tx.jobs)
	if *fnErr = fn(ctx, tx); *fnErr != nil {
		tx.jobs = tx.jobs[:jobs]
		if _, err := tx.exec(ctx, `ROLLBACK TO SAVEPOINT rota_write`); err != nil {
			return err
		}
	}
	next := `RELEASE SAVEPOINT rota_write; SAVEPOINT rota_write`
	if last {
		next = `RELEASE SAVEPOINT rota_write`
	}
	_, err := tx.exec(ctx, next)
	return err
}
