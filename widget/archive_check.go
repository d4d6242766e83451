package widget

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif"  // amoCRM accepts GIF content under the logo names
	_ "image/jpeg" // and JPEG
	_ "image/png"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxImageSize is amoCRM's limit for each image in the archive, 300 KB, counted in decimal
// kilobytes to stay on the safe side.
const MaxImageSize = 300 * 1000

// maxTextSize bounds each text file CheckArchive reads.
const maxTextSize = 1 << 20

// maxEntries bounds the number of archive entries CheckArchive looks at.
const maxEntries = 1000

// ArchiveError lists every reason amoCRM would refuse an archive.
type ArchiveError struct {
	Problems []string
}

func (e *ArchiveError) Error() string {
	return "widget: amoCRM would refuse the archive: " + strings.Join(e.Problems, "; ")
}

// CheckArchive reports what amoCRM would refuse in a widget archive of the given size, as an
// *ArchiveError listing every problem found (nil when there is none):
//   - an entry that is not a zip archive, an unsafe or duplicated path;
//   - manifest.json missing or not at the root, script.js missing;
//   - a text file (.json, .js, .css, .twig, .html, …) with a BOM or not valid UTF-8;
//   - a manifest that is not JSON, without the widget block, with interface_version other than
//     2, without installation, with a locale that has no i18n/<locale>.json;
//   - a manifest text (widget name, description, short_description, setting names,
//     tour_description, advanced title) that is not a key with a text in every locale's i18n file;
//   - an unknown location, a -0/-1 suffix on a location that takes none, lcard-0 together with
//     lcard-1 (and likewise for the other cards and lists), an unknown settings field type;
//   - a missing logo (logo_medium and logo_min as soon as the widget is in a card, logo_dp with
//     digital_pipeline), a logo of the wrong size, an image over MaxImageSize or unreadable.
func CheckArchive(r io.ReaderAt, size int64) error {
	c := &archiveChecker{}
	c.run(r, size)
	if len(c.problems) == 0 {
		return nil
	}
	return &ArchiveError{Problems: c.problems}
}

type archiveChecker struct {
	problems []string
	files    map[string]*zip.File
	names    []string // in archive order
	texts    map[string][]byte
}

func (c *archiveChecker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// knownLocations are the location codes of docs/widget-backend.md#locations, without -0/-1.
func knownLocations() []string {
	return []string{
		"lcard", "ccard", "comcard", "cucard", "llist", "clist", "culist", "tlist",
		"settings", "advanced_settings", "card_sdk", "catalogs", "digital_pipeline", "lead_sources",
		"whatsapp_modal", "sms", "mobile_card", "salesbot_designer", "widget_page",
		"website_chat_button", "ai_agent", "amoforms", "personal_page", "everywhere",
	}
}

// suffixedLocations take -0 (no panel block) or -1 (panel block, the default).
func suffixedLocations() []string {
	return []string{"lcard", "ccard", "comcard", "cucard", "llist", "clist", "culist", "tlist"}
}

// cardLocations need logo_medium.png and logo_min.png.
func cardLocations() []string { return []string{"lcard", "ccard", "comcard", "cucard"} }

// settingTypes are the settings field types of docs/widget-backend.md#settings-fields.
func settingTypes() []string { return []string{"text", "pass", "users", "users_lp", "custom"} }

func isTextFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".js", ".css", ".twig", ".html", ".htm", ".txt", ".md", ".svg", ".xml":
		return true
	}
	return false
}

func isImageFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

func (c *archiveChecker) run(r io.ReaderAt, size int64) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		c.add("not a zip archive: %v", err)
		return
	}
	if len(zr.File) > maxEntries {
		c.add("the archive has %d entries, more than %d", len(zr.File), maxEntries)
		return
	}
	c.files = make(map[string]*zip.File)
	c.texts = make(map[string][]byte)
	for _, f := range zr.File {
		name := f.Name
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) ||
			slices.Contains(strings.Split(name, "/"), "..") || !utf8.ValidString(name) {
			c.add("%q is not a safe relative path", name)
			continue
		}
		if strings.HasSuffix(name, "/") { // a directory entry
			continue
		}
		if _, dup := c.files[name]; dup {
			c.add("%s appears twice", name)
			continue
		}
		c.files[name] = f
		c.names = append(c.names, name)
	}
	for _, name := range c.names {
		if isTextFile(name) {
			c.checkText(name)
		}
	}
	c.requireRootFile("manifest.json")
	c.requireRootFile("script.js")
	locations := c.checkManifest()
	c.checkImages(locations)
}

// read returns at most limit bytes of f, and false when f holds more or cannot be read.
func (c *archiveChecker) read(f *zip.File, limit int64) ([]byte, bool) {
	rc, err := f.Open()
	if err != nil {
		c.add("%s cannot be read: %v", f.Name, err)
		return nil, false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		c.add("%s cannot be read: %v", f.Name, err)
		return nil, false
	}
	return data, int64(len(data)) <= limit
}

func (c *archiveChecker) checkText(name string) {
	data, ok := c.read(c.files[name], maxTextSize)
	if data == nil && !ok {
		return
	}
	if !ok {
		c.add("%s is larger than %d bytes", name, maxTextSize)
		return
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		c.add("%s starts with a byte order mark (BOM); save it as UTF-8 without BOM", name)
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		c.add("%s is UTF-16; save it as UTF-8 without BOM", name)
		return
	}
	if !utf8.Valid(data) {
		c.add("%s is not valid UTF-8", name)
		return
	}
	c.texts[name] = data
}

func (c *archiveChecker) requireRootFile(name string) {
	if _, ok := c.files[name]; ok {
		return
	}
	for _, n := range c.names {
		if strings.HasSuffix(n, "/"+name) {
			c.add("%s must be at the root of the archive, not at %s", name, n)
			return
		}
	}
	c.add("%s is missing", name)
}

// checkManifest checks manifest.json and the i18n files and returns the locations.
func (c *archiveChecker) checkManifest() []string {
	data, ok := c.texts["manifest.json"]
	if !ok {
		return nil // missing or not UTF-8, already reported
	}
	var m map[string]any
	if err := decodeArchiveJSON(data, &m); err != nil {
		c.add("manifest.json is not a JSON object: %v", err)
		return nil
	}
	widget, ok := m["widget"].(map[string]any)
	if !ok {
		c.add("manifest.json has no widget object")
		return c.checkLocations(m["locations"])
	}
	if n, ok := widget["interface_version"].(json.Number); !ok || n.String() != "2" {
		c.add("widget.interface_version must be 2, not %s", jsonText(widget["interface_version"]))
	}
	if _, ok := widget["installation"].(bool); !ok {
		c.add("widget.installation must be true or false, not %s", jsonText(widget["installation"]))
	}
	if v, present := widget["version"]; present {
		if _, ok := v.(string); !ok {
			c.add("widget.version must be a string, not %s", jsonText(v))
		}
	}
	if v, present := widget["init_once"]; present {
		if _, ok := v.(bool); !ok {
			c.add("widget.init_once must be true or false, not %s", jsonText(v))
		}
	}
	langs := c.checkLocales(widget["locale"])

	for _, key := range []string{"name", "description", "short_description"} {
		c.checkI18nKey("widget."+key, widget[key], true, langs)
	}
	if tour, ok := m["tour"].(map[string]any); ok {
		c.checkI18nKey("tour.tour_description", tour["tour_description"], false, langs)
	}
	if adv, ok := m["advanced"].(map[string]any); ok {
		c.checkI18nKey("advanced.title", adv["title"], true, langs)
	}
	c.checkSettings(m["settings"], langs)
	return c.checkLocations(m["locations"])
}

type localeDoc struct {
	lang string
	doc  map[string]any
}

func (c *archiveChecker) checkLocales(v any) []localeDoc {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		c.add("widget.locale must be a non-empty list of languages, not %s", jsonText(v))
		return nil
	}
	var langs []localeDoc
	seen := map[string]bool{}
	for _, item := range list {
		lang, ok := item.(string)
		if !ok || lang == "" || strings.ContainsAny(lang, `/\.`) {
			c.add("widget.locale has an invalid entry %s", jsonText(item))
			continue
		}
		if seen[lang] {
			c.add("widget.locale lists %q twice", lang)
			continue
		}
		seen[lang] = true
		name := "i18n/" + lang + ".json"
		if _, ok := c.files[name]; !ok {
			c.add("locale %q has no %s", lang, name)
			continue
		}
		data, ok := c.texts[name]
		if !ok {
			continue // not UTF-8, already reported
		}
		var doc map[string]any
		if err := decodeArchiveJSON(data, &doc); err != nil {
			c.add("%s is not a JSON object: %v", name, err)
			continue
		}
		langs = append(langs, localeDoc{lang, doc})
	}
	return langs
}

// checkI18nKey checks that the manifest string at where is a dotted key with a non-empty text
// in every locale's file.
func (c *archiveChecker) checkI18nKey(where string, v any, required bool, langs []localeDoc) {
	if v == nil && !required {
		return
	}
	key, ok := v.(string)
	if !ok || key == "" {
		c.add("%s must be an i18n key such as \"widget.name\", not %s", where, jsonText(v))
		return
	}
	for _, l := range langs {
		if !hasI18nText(l.doc, key) {
			c.add("%s %q is not a key with a text in i18n/%s.json", where, key, l.lang)
		}
	}
}

func hasI18nText(doc map[string]any, key string) bool {
	var cur any = doc
	for _, part := range strings.Split(key, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = obj[part]; !ok {
			return false
		}
	}
	s, ok := cur.(string)
	return ok && strings.TrimSpace(s) != ""
}

func (c *archiveChecker) checkSettings(v any, langs []localeDoc) {
	if v == nil {
		return
	}
	settings, ok := v.(map[string]any)
	if !ok {
		c.add("settings must be an object of fields, not %s", jsonText(v))
		return
	}
	codes := make([]string, 0, len(settings))
	for code := range settings {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		field, ok := settings[code].(map[string]any)
		if !ok {
			c.add("settings.%s must be an object, not %s", code, jsonText(settings[code]))
			continue
		}
		c.checkI18nKey("settings."+code+".name", field["name"], true, langs)
		if t, _ := field["type"].(string); !slices.Contains(settingTypes(), t) {
			c.add("settings.%s.type %s is not one of %s", code, jsonText(field["type"]), strings.Join(settingTypes(), ", "))
		}
	}
}

func (c *archiveChecker) checkLocations(v any) []string {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		c.add("locations must be a non-empty list, not %s", jsonText(v))
		return nil
	}
	var out []string
	modes := map[string]string{} // suffixed location → "0" or "1"
	seen := map[string]bool{}
	for _, item := range list {
		loc, ok := item.(string)
		if !ok {
			c.add("locations has a non-string entry %s", jsonText(item))
			continue
		}
		if seen[loc] {
			c.add("location %q is listed twice", loc)
			continue
		}
		seen[loc] = true
		base, mode := loc, ""
		if i := strings.LastIndexByte(loc, '-'); i > 0 && (loc[i+1:] == "0" || loc[i+1:] == "1") {
			base, mode = loc[:i], loc[i+1:]
		}
		switch {
		case !slices.Contains(knownLocations(), base):
			c.add("location %q is not an amoCRM location", loc)
			continue
		case mode != "" && !slices.Contains(suffixedLocations(), base):
			c.add("location %q: only card and list locations take -0 or -1", loc)
			continue
		}
		if slices.Contains(suffixedLocations(), base) {
			if mode == "" {
				mode = "1" // no suffix means -1
			}
			if prev, ok := modes[base]; ok && prev != mode {
				c.add("locations %s-0 and %s-1 are mutually exclusive", base, base)
			}
			modes[base] = mode
		}
		out = append(out, base)
	}
	return out
}

func (c *archiveChecker) checkImages(locations []string) {
	required := baseLogos()
	if slices.ContainsFunc(locations, func(l string) bool { return slices.Contains(cardLocations(), l) }) {
		required = append(required, cardLogos()...)
	}
	sizes := map[string][2]int{}
	for _, l := range logoSpecs() {
		sizes[l.Name] = [2]int{l.Width, l.Height}
	}
	if slices.Contains(locations, "digital_pipeline") {
		required = append(required, "images/logo_dp.png")
		sizes["images/logo_dp.png"] = [2]int{174, 109}
	}
	for _, name := range required {
		if _, ok := c.files[name]; !ok {
			c.add("%s is missing", name)
		}
	}
	for _, name := range c.names {
		if !isImageFile(name) {
			continue
		}
		data, ok := c.read(c.files[name], MaxImageSize)
		if !ok {
			if data != nil {
				c.add("%s is larger than the 300 KB amoCRM allows", name)
			}
			continue
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			c.add("%s is not a readable PNG, JPEG or GIF image", name)
			continue
		}
		if want, ok := sizes[name]; ok && (cfg.Width != want[0] || cfg.Height != want[1]) {
			c.add("%s is %d×%d, it must be %d×%d", name, cfg.Width, cfg.Height, want[0], want[1])
		}
	}
}

// decodeArchiveJSON decodes one JSON value with numbers kept as json.Number.
func decodeArchiveJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// jsonText shows a decoded JSON value in a problem message, shortened.
func jsonText(v any) string {
	if v == nil {
		return "nothing"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if r := []rune(string(b)); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return string(b)
}
