package sqlite

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
// keep_heap raises glibc's trim threshold; it returns whether it could.
static int keep_heap(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }
#else
static int keep_heap(int bytes) { (void)bytes; return 0; }
#endif
*/
import "C"

// heapTrimThreshold is the free memory glibc may keep at the top of each C
// heap instead of handing it back to the kernel at once.
const heapTrimThreshold = 32 << 20

// keepCHeap stops glibc from handing SQLite's memory back to the kernel
// after every transaction. In WAL mode a connection that sees another's
// commit drops its whole page cache at its next transaction and refills it,
// so at a steady rate SQLite frees and reallocates megabytes per delivery;
// glibc's per-thread heaps hand the freed top back with madvise at once
// (its default threshold is 128 KiB), and on a virtual machine each madvise
// flushes the TLBs of every core. Measured with BenchmarkWebhookIntakeProcessed:
// 2.8 madvise calls per delivery, 10% of the process's CPU, before; 0.25 after
// (the Go runtime's own). The memory kept is bounded by what SQLite's caches
// use at their peak, a few MiB per connection. It is a process-wide setting,
// made once per Open and idempotent; without glibc it does nothing and
// reports false.
func keepCHeap() bool { return C.keep_heap(C.int(heapTrimThreshold)) == 1 }
