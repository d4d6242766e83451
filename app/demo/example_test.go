package demo_test

import (
	"fmt"

	"github.com/amokit/amokit/app/demo"
)

// Roubles writes a deal price as the demo card shows it, with no-break spaces.
func ExampleRoubles() {
	fmt.Printf("%q\n", demo.Roubles(17204))
	// Output:
	// "17\u00a0204\u00a0₽"
}
