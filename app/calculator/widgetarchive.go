package calculator

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/amokit/amokit/widget"
)

// WidgetText returns the calculator's texts for widget.zip (widget.ArchiveConfig.Text): its name
// and descriptions in amoCRM, the label of the server setting and the messages of the card block,
// in Russian and English.
func WidgetText() map[string]widget.LocaleText {
	return map[string]widget.LocaleText{
		"ru": {
			Name:             "Калькулятор стекла",
			ShortDescription: "Расчёт стоимости стеклянных изделий в карточке сделки",
			Description:      "Считает стоимость стеклянных изделий прямо в карточке сделки и записывает расчёт в сделку: бюджет, примечание с расшифровкой и товары.",
			ServerSetting:    "Адрес сервера калькулятора (https://…)",
			Loading:          "Открываем калькулятор…",
			Error:            "Не удалось открыть калькулятор.",
			Retry:            "Повторить",
			NoServer:         "Укажите адрес сервера калькулятора в настройках виджета.",
			NotConnected: "Калькулятор не подключён к этому аккаунту amoCRM. Попросите администратора аккаунта " +
				"подключить его на странице {admin} и затем обновите страницу сделки.",
			Stale:   "Страница сделки открыта слишком давно: обновите её. Если не поможет, проверьте дату и время на компьютере.",
			Refused: "amoCRM не подтвердил вход в калькулятор. Обновите страницу сделки; если ошибка повторится, сообщите администратору.",
		},
		"en": {
			Name:             "Glass calculator",
			ShortDescription: "Glass product quotes in the lead card",
			Description:      "Prices glass products right in the lead card and writes the quote to the lead: its budget, a note with the breakdown and the products.",
			ServerSetting:    "Calculator server address (https://…)",
			Loading:          "Opening the calculator…",
			Error:            "The calculator could not be opened.",
			Retry:            "Try again",
			NoServer:         "Set the calculator server address in the widget settings.",
			NotConnected: "The calculator is not connected to this amoCRM account. Ask the account's administrator " +
				"to connect it at {admin}, then reload the lead.",
			Stale:   "The lead page has been open too long: reload it. If that does not help, check the computer's date and time.",
			Refused: "amoCRM did not confirm the sign-in to the calculator. Reload the lead; if it happens again, tell the administrator.",
		},
	}
}

// WidgetLogo draws the glass-pane logo (widget.ArchiveConfig.Logo) at w×h and encodes it. The drawing depends only on the size,
// so the bytes are the same for every build made with the same Go version.
func WidgetLogo(w, h int) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, drawLogo(w, h)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rgb is a linear mix-friendly colour with components in [0, 1].
type rgb struct{ r, g, b float64 }

func mix(a, b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

var (
	skyTop    = rgb{0.94, 0.97, 1.00}
	skyBottom = rgb{0.84, 0.91, 0.97}
	glassTop  = rgb{0.62, 0.84, 0.95}
	glassLow  = rgb{0.36, 0.66, 0.84}
	frameCol  = rgb{0.13, 0.33, 0.47}
	white     = rgb{1, 1, 1}
)

// pane is a rounded rectangle: a sheet of glass in a thin frame.
type pane struct {
	x0, y0, x1, y1 float64
	radius, frame  float64
}

// dist is the signed distance from (x, y) to the pane's outline: negative inside.
func (p pane) dist(x, y float64) float64 {
	cx, cy := (p.x0+p.x1)/2, (p.y0+p.y1)/2
	hx, hy := (p.x1-p.x0)/2-p.radius, (p.y1-p.y0)/2-p.radius
	dx, dy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	ox, oy := math.Max(dx, 0), math.Max(dy, 0)
	out := math.Sqrt(ox*ox + oy*oy)
	in := math.Min(math.Max(dx, dy), 0)
	return out + in - p.radius
}

// panes lays out one to three upright panes, centred, as many as the width allows.
func panes(w, h int) []pane {
	fw, fh := float64(w), float64(h)
	ph := fh * 0.72
	pw := ph * 0.74
	gap := pw * 0.16
	n := int((fw*0.84 + gap) / (pw + gap))
	n = max(1, min(n, 3))
	total := float64(n)*pw + float64(n-1)*gap
	x := (fw - total) / 2
	y := (fh - ph) / 2
	frame := math.Max(1.2, ph*0.035)
	out := make([]pane, n)
	for i := range out {
		out[i] = pane{x0: x, y0: y, x1: x + pw, y1: y + ph, radius: ph * 0.07, frame: frame}
		x += pw + gap
	}
	return out
}

// shade is the colour at (x, y) in pixel units.
func shade(x, y, fw, fh float64, ps []pane) rgb {
	c := mix(skyTop, skyBottom, y/fh)
	for _, p := range ps {
		d := p.dist(x, y)
		switch {
		case d >= fh*0.05:
			continue
		case d >= 0:
			// A soft shadow below and to the right of the pane.
			if p.dist(x-fh*0.015, y-fh*0.025) < 0 {
				c = mix(c, frameCol, 0.18)
			}
			continue
		case d > -p.frame:
			c = frameCol
		default:
			t := (y - p.y0) / (p.y1 - p.y0)
			c = mix(c, mix(glassTop, glassLow, t), 0.78)
			// Two diagonal highlights across the glass.
			u := ((x - p.x0) + (y-p.y0)*0.55) / (p.x1 - p.x0)
			if u > 0.22 && u < 0.36 {
				c = mix(c, white, 0.45)
			} else if u > 0.44 && u < 0.50 {
				c = mix(c, white, 0.35)
			}
		}
	}
	return c
}

// drawLogo renders the logo. Pixels on an edge (where the corners of the pixel differ) are
// supersampled 4×4 for smooth outlines; flat pixels take the mean of five samples.
func drawLogo(w, h int) *image.NRGBA {
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	ps := panes(w, h)
	fw, fh := float64(w), float64(h)
	at := func(x, y float64) rgb { return shade(x, y, fw, fh, ps) }
	for py := range h {
		for px := range w {
			x, y := float64(px), float64(py)
			probe := [5]rgb{at(x+0.5, y+0.5), at(x+0.05, y+0.05), at(x+0.95, y+0.05), at(x+0.05, y+0.95), at(x+0.95, y+0.95)}
			var sum rgb
			n := 0.0
			if flat(probe[:]) {
				for _, c := range probe {
					sum.r, sum.g, sum.b = sum.r+c.r, sum.g+c.g, sum.b+c.b
				}
				n = float64(len(probe))
			} else {
				for sy := range ss {
					for sx := range ss {
						c := at(x+(float64(sx)+0.5)/ss, y+(float64(sy)+0.5)/ss)
						sum.r, sum.g, sum.b = sum.r+c.r, sum.g+c.g, sum.b+c.b
					}
				}
				n = ss * ss
			}
			img.SetNRGBA(px, py, color.NRGBA{R: to8(sum.r / n), G: to8(sum.g / n), B: to8(sum.b / n), A: 0xff})
		}
	}
	return img
}

// flat reports whether the colours are within a shade of each other.
func flat(cs []rgb) bool {
	const tol = 0.02
	for _, c := range cs[1:] {
		if math.Abs(c.r-cs[0].r) > tol || math.Abs(c.g-cs[0].g) > tol || math.Abs(c.b-cs[0].b) > tol {
			return false
		}
	}
	return true
}

func to8(v float64) uint8 {
	return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255))
}
