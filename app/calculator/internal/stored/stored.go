// Package stored holds what every calculation store of package calculator shares: the JSON
// forms in which a calculation's order and quote are kept, and lease tokens.
package stored

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/amokit/amokit/app/glass"
)

// Encode returns the JSON forms of an order and its quote, as stores keep them (the quote in the
// wire format of the glass package). Decode reads them back.
func Encode(order glass.Order, quote glass.Quote) (orderJSON, quoteJSON []byte, err error) {
	if orderJSON, err = json.Marshal(order); err != nil {
		return nil, nil, fmt.Errorf("calculator: encoding the order: %w", err)
	}
	if quoteJSON, err = json.Marshal(quote); err != nil {
		return nil, nil, fmt.Errorf("calculator: encoding the quote: %w", err)
	}
	return orderJSON, quoteJSON, nil
}

// Decode reads the order and quote of calculation id from the JSON that Encode wrote; the
// quote's Order is set to the order, so that Quote.NoteText describes the pieces.
func Decode(id string, orderJSON, quoteJSON []byte) (glass.Order, glass.Quote, error) {
	var order glass.Order
	var quote glass.Quote
	if err := json.Unmarshal(orderJSON, &order); err != nil {
		return glass.Order{}, glass.Quote{}, fmt.Errorf("calculator: calculation %s: decoding the order: %w", id, err)
	}
	if err := json.Unmarshal(quoteJSON, &quote); err != nil {
		return glass.Order{}, glass.Quote{}, fmt.Errorf("calculator: calculation %s: decoding the quote: %w", id, err)
	}
	quote.Order = order
	return order, quote, nil
}

// NewLease returns a fresh random lease token.
func NewLease() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
