package store

import "errors"

// ErrNotDead is returned by RetryDead for a delivery that is not dead.
var ErrNotDead = errors.New("not dead")

// Enqueued says what Enqueue did with a delivery.
type Enqueued struct {
	// Duplicate is true when a delivery with the same ID is stored pending,
	// processing or done: nothing was changed.
	Duplicate bool
	// Redelivered is true when the delivery with the same ID was dead: it is
	// stored again, as a new arrival (see Enqueue).
	Redelivered bool
	// Previous is the dead delivery as it was, without its payload, when
	// Redelivered.
	Previous Delivery
}

// DeliveryFilter selects deliveries for ListDeliveries.
type DeliveryFilter struct {
	// State, when set, keeps only deliveries in that state.
	State DeliveryState
	// Limit caps how many are returned (newest first); 0 means no cap.
	Limit int
}
