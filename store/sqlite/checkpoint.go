package sqlite

import "context"

// The write connection does not checkpoint the WAL itself (its autocheckpoint
// is a safety net far above): a checkpoint copies megabytes into the database
// file and fsyncs it, and in the commit path that stalls every caller of the
// batch that triggers it. The checkpointer does it on its own connection
// instead: a PASSIVE checkpoint runs beside the writer, which keeps appending
// to the WAL and rewinds it once everything was copied.

// checkpointBytes is a quarter of SQLite's own autocheckpoint threshold
// (1000 pages). A checkpoint ends with an fsync of the database file, which
// the disk works through before the next commit's fsync of the WAL: the
// more it copied, the longer the arrivals committed meanwhile wait for
// their 202. At 500 deliveries/s the intake's p99 was 16-19 ms with 4 MiB,
// 9-12 ms with 2 MiB and 6-8 ms with 1 MiB (and with 256 or 512 KiB), for
// the same CPU (BENCHMARKS.md, issue 10).
const checkpointBytes = 1 << 20

// noteWAL is called by the writer after each commit with an estimate of what
// it wrote, and wakes the checkpointer every checkpointBytes.
func (s *Store) noteWAL(n int64) {
	s.walSince += n
	if s.walSince < checkpointBytes {
		return
	}
	s.walSince = 0
	select {
	case s.ckptKick <- struct{}{}:
	default: // one is pending already
	}
}

func (s *Store) runCheckpointer() {
	defer close(s.ckptDone)
	for {
		select {
		case <-s.closing:
			return
		case <-s.ckptKick:
		}
		var busy, frames, copied int
		err := s.ckpt.QueryRowContext(context.Background(),
			`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		if err != nil {
			// Nobody to tell but the counter: the writer's own
			// autocheckpoint still bounds the WAL.
			s.ckptFailures.Add(1)
			continue
		}
		s.checkpointsOK.Add(1)
	}
}
