package amocrmtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// pattern is a path pattern in net/http.ServeMux syntax (Go 1.22): literal
// segments, "{name}" for one segment, "{name...}" for the rest of the path,
// a trailing "{$}" for an exact match, and a trailing "/" for a whole subtree.
// Two additions: a pattern ending in "*" matches any path that starts with
// what comes before the star, and (for the server's own routes) "{#name}"
// matches one segment of decimal digits.
type pattern struct {
	raw      string
	prefix   string
	isPrefix bool
	segs     []pseg
	subtree  bool
}

type pseg struct {
	lit    string
	wild   string
	digits bool
	rest   bool
}

func parsePattern(p string) (pattern, error) {
	pat := pattern{raw: p}
	if p == "" {
		pat.isPrefix = true
		return pat, nil
	}
	if strings.HasSuffix(p, "*") {
		pat.isPrefix = true
		pat.prefix = strings.TrimSuffix(p, "*")
		return pat, nil
	}
	if !strings.HasPrefix(p, "/") {
		return pat, fmt.Errorf("pattern %q does not start with /", p)
	}
	exact := false
	if strings.HasSuffix(p, "{$}") {
		exact = true
		p = strings.TrimSuffix(p, "{$}")
		if !strings.HasSuffix(p, "/") {
			return pat, fmt.Errorf("pattern %q: {$} must follow a /", pat.raw)
		}
	}
	body := p[1:]
	if !exact && strings.HasSuffix(p, "/") {
		pat.subtree = true
		body = strings.TrimSuffix(body, "/")
	}
	if body == "" && !exact {
		return pat, nil
	}
	parts := strings.Split(body, "/")
	for i, part := range parts {
		if !strings.HasPrefix(part, "{") {
			if strings.ContainsAny(part, "{}") {
				return pat, fmt.Errorf("pattern %q: bad segment %q", pat.raw, part)
			}
			pat.segs = append(pat.segs, pseg{lit: part})
			continue
		}
		if !strings.HasSuffix(part, "}") {
			return pat, fmt.Errorf("pattern %q: bad segment %q", pat.raw, part)
		}
		name := part[1 : len(part)-1]
		var sg pseg
		if n, ok := strings.CutSuffix(name, "..."); ok {
			if i != len(parts)-1 || pat.subtree {
				return pat, fmt.Errorf("pattern %q: {%s} must be the last segment", pat.raw, name)
			}
			sg.rest, name = true, n
		}
		if n, ok := strings.CutPrefix(name, "#"); ok {
			sg.digits, name = true, n
		}
		if name == "" {
			return pat, fmt.Errorf("pattern %q: empty wildcard", pat.raw)
		}
		sg.wild = name
		pat.segs = append(pat.segs, sg)
	}
	return pat, nil
}

// match reports whether path matches and returns the wildcard values.
func (p pattern) match(path string) (map[string]string, bool) {
	if p.isPrefix {
		return nil, strings.HasPrefix(path, p.prefix)
	}
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	segs := strings.Split(path[1:], "/")
	var vals map[string]string
	for i, ps := range p.segs {
		if ps.rest {
			if vals == nil {
				vals = map[string]string{}
			}
			vals[ps.wild] = strings.Join(segs[i:], "/")
			return vals, true
		}
		if i >= len(segs) {
			return nil, false
		}
		seg := segs[i]
		if ps.wild == "" {
			if seg != ps.lit {
				return nil, false
			}
			continue
		}
		if seg == "" || (ps.digits && !allDigits(seg)) {
			return nil, false
		}
		if vals == nil {
			vals = map[string]string{}
		}
		vals[ps.wild] = seg
	}
	if p.subtree {
		return vals, len(segs) > len(p.segs)
	}
	return vals, len(segs) == len(p.segs)
}

func allDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

type route struct {
	method string
	pat    pattern
	h      http.HandlerFunc
}

// router dispatches on method and pattern, first match wins. Unlike
// http.ServeMux it accepts the overlapping patterns amoCRM's API needs
// ("/api/v4/leads/{#id}/notes" next to "/api/v4/leads/notes/{#id}").
type router struct {
	routes []route
}

func (rt *router) handle(spec string, h http.HandlerFunc) {
	method, path, ok := strings.Cut(spec, " ")
	if !ok {
		panic("amocrmtest: route without method: " + spec)
	}
	pat, err := parsePattern(path)
	if err != nil {
		panic("amocrmtest: " + err.Error())
	}
	rt.routes = append(rt.routes, route{method: method, pat: pat, h: h})
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, ro := range rt.routes {
		vals, ok := ro.pat.match(r.URL.Path)
		if !ok {
			continue
		}
		if ro.method != r.Method {
			if !slices.Contains(allowed, ro.method) {
				allowed = append(allowed, ro.method)
			}
			continue
		}
		for k, v := range vals {
			r.SetPathValue(k, v)
		}
		ro.h(w, r)
		return
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	writeProblem(w, http.StatusNotFound, "Not found")
}
