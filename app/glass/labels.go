package glass

import "strconv"

// labeler makes the codes and names of per-piece lines. Pieces of one
// order often share a material and thickness, so it remembers what it has
// built and each label is built once per quote.
type labeler struct {
	pl   *PriceList
	seen []label
}

type labelKey struct {
	kind      byte // 'm' material, 'e' edge, 't' tempering, 'h' hole band
	code      string
	thickness int
}

type label struct {
	key        labelKey
	code, name string
}

func (lb *labeler) get(key labelKey, build func() (code, name string)) (string, string) {
	for _, l := range lb.seen {
		if l.key == key {
			return l.code, l.name
		}
	}
	code, name := build()
	lb.seen = append(lb.seen, label{key, code, name})
	return code, name
}

// material labels a material line: "float-8", "Стекло прозрачное М1, 8 мм".
func (lb *labeler) material(m *Material, thickness int) (string, string) {
	return lb.get(labelKey{'m', m.Code, thickness}, func() (string, string) {
		t := strconv.Itoa(thickness)
		return m.Code + "-" + t, m.Name + ", " + t + " мм"
	})
}

// edge labels an edge line: "edge-polish-8", "Полировка кромки, 8 мм".
func (lb *labeler) edge(e *EdgePrice, thickness int) (string, string) {
	return lb.get(labelKey{'e', string(e.Code), thickness}, func() (string, string) {
		t := strconv.Itoa(thickness)
		return "edge-" + string(e.Code) + "-" + t, e.Name + ", " + t + " мм"
	})
}

// tempering labels a tempering line: "temper-8", "Закалка, 8 мм".
func (lb *labeler) tempering(thickness int) (string, string) {
	return lb.get(labelKey{'t', "", thickness}, func() (string, string) {
		t := strconv.Itoa(thickness)
		return "temper-" + t, "Закалка, " + t + " мм"
	})
}

// hole labels the line of hole band b: "hole-30", "Отверстие 13–30 мм".
func (lb *labeler) hole(b int) (string, string) {
	return lb.get(labelKey{'h', "", b}, func() (string, string) {
		upper := strconv.Itoa(lb.pl.Holes[b].MaxDiameterMM)
		if b == 0 {
			return "hole-" + upper, "Отверстие до " + upper + " мм"
		}
		return "hole-" + upper, "Отверстие " + strconv.Itoa(lb.pl.Holes[b-1].MaxDiameterMM+1) + "–" + upper + " мм"
	})
}
