// Command proposal measures how long a commercial proposal of 20 pieces
// takes to render and how large its PDF is, against the targets of 50 ms
// and 300 KB, and prints the figures as ratios to those targets.
//
//	go run ./bench/proposal
package main

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/bench/internal/machine"
)

const (
	targetTime  = 50 * time.Millisecond
	targetBytes = 300 << 10
)

func main() {
	p, err := twentyPieces()
	if err != nil {
		fmt.Fprintln(os.Stderr, "proposal:", err)
		os.Exit(2)
	}
	var size int
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := proposal.Render(&buf, p); err != nil {
				b.Fatal(err)
			}
		}
		size = buf.Len()
	})
	per := time.Duration(res.NsPerOp())
	met := per <= targetTime && size <= targetBytes
	fmt.Printf("load average: %s\n", machine.LoadAvg())
	fmt.Printf("20-piece proposal: %v per render (%d renders), %d KB, %d allocs\n",
		per.Round(100*time.Microsecond), res.N, size>>10, res.AllocsPerOp())
	fmt.Printf("RESULT proposal: time_ratio=%.3f size_ratio=%.3f render_ms=%.1f size_kb=%d targets_met=%t\n",
		float64(per)/float64(targetTime), float64(size)/targetBytes, float64(per)/1e6, size>>10, met)
	if !met {
		os.Exit(1)
	}
}

// twentyPieces is a proposal of 20 different pieces with hardware,
// installation, delivery, urgency and a discount.
func twentyPieces() (*proposal.Proposal, error) {
	o := glass.Order{Hardware: []glass.HardwareItem{{Code: "hinge_wall_glass", Count: 4}},
		Installation: true, Delivery: true, Urgent: true, DiscountPercent: 5}
	for i := range 20 {
		o.Pieces = append(o.Pieces, glass.Piece{Material: "float", ThicknessMM: 8, WidthMM: 400 + 50*i,
			HeightMM: 600 + 30*i, Quantity: 1 + i%3, Edge: glass.EdgePolish, Tempered: i%2 == 0,
			Holes: []int{12, 12}, Cutouts: i % 2, RoundedCorners: i % 4})
	}
	q, err := glass.DefaultPriceList().Quote(o)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &proposal.Proposal{Number: "1024-1", Date: now, ValidUntil: now.AddDate(0, 0, 14),
		Shop:   proposal.Shop{Name: "ООО «Стеклянный дом»", Address: "Москва, ул. Лесная, 5", INN: "7707083893"},
		Client: proposal.Party{Name: "Ёлкина Анна Сергеевна"}, Manager: proposal.Manager{Name: "Пётр Иванов"},
		VATPercent: 20, Quote: q}, nil
}
