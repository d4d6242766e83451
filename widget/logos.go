package widget

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// logoSpec is one image amoCRM looks for in images/, with its exact size.
type logoSpec struct {
	Name          string // path inside the archive
	Width, Height int
}

// logoSpecs returns the images of docs/widget-backend.md#images. logo_dp.png is only needed with the
// digital_pipeline location, which the kit's widget does not use.
func logoSpecs() []logoSpec {
	return []logoSpec{
		{"images/logo.png", 130, 100},
		{"images/logo_main.png", 400, 272},
		{"images/logo_medium.png", 240, 84},
		{"images/logo_min.png", 84, 84},
		{"images/logo_small.png", 108, 108},
	}
}

// cardLogos are required as soon as the widget lives in a card.
func cardLogos() []string { return []string{"images/logo_medium.png", "images/logo_min.png"} }

// baseLogos are always required.
func baseLogos() []string {
	return []string{"images/logo.png", "images/logo_main.png", "images/logo_small.png"}
}

// placeholderLogo is the logo of an archive whose ArchiveConfig has no Logo: a plain slate-blue
// rounded tile on a light ground, the same for every build.
func placeholderLogo(w, h int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	ground := color.NRGBA{R: 0xee, G: 0xf2, B: 0xf6, A: 0xff}
	tile := color.NRGBA{R: 0x5b, G: 0x74, B: 0x8c, A: 0xff}
	side := min(w, h) * 3 / 5
	x0, y0 := (w-side)/2, (h-side)/2
	r := side / 6
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, ground)
			if inRoundedSquare(x-x0, y-y0, side, r) {
				img.SetNRGBA(x, y, tile)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inRoundedSquare reports whether (x, y) lies in the square [0, side)² with corners of radius r.
func inRoundedSquare(x, y, side, r int) bool {
	if x < 0 || y < 0 || x >= side || y >= side {
		return false
	}
	cx, cy := min(max(x, r), side-1-r), min(max(y, r), side-1-r)
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r*r
}
