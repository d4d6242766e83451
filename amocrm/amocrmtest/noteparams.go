package amocrmtest

import "strconv"

// The params each writable note type takes (docs/amocrmtest.md#typed-notes,
// docs/amocrm-reference.md#note-types): the required ones must be there with the right type, the
// optional ones may be, and nothing else may.

type paramKind int

const (
	pText       paramKind = iota // a JSON string
	pInt                         // a whole JSON number
	pCallStatus                  // 1…8
	pIntOrText                   // a user id or a name (call_responsible)
	pCashier                     // created, shown or canceled
)

type paramSpec struct {
	kind     paramKind
	required bool
}

var (
	reqText = paramSpec{pText, true}
	optText = paramSpec{pText, false}
)

// noteParams are the writable note types and their params. A type missing here is one amoCRM
// only writes itself (amomail_message, chat, site_visit, …).
var noteParams = map[string]map[string]paramSpec{
	"common": {"text": reqText},
	"call_in": {"uniq": reqText, "duration": {pInt, true}, "source": reqText, "phone": reqText, "link": optText,
		"call_result": optText, "call_status": {pCallStatus, false}, "call_responsible": {pIntOrText, false}},
	"service_message":          {"service": reqText, "text": reqText},
	"extended_service_message": {"service": reqText, "text": reqText},
	"message_cashier":          {"status": {pCashier, true}, "text": reqText},
	"geolocation":              {"text": reqText, "address": reqText, "longitude": reqText, "latitude": reqText},
	"sms_in":                   {"text": reqText, "phone": reqText},
	"attachment":               {"file_uuid": reqText, "file_name": reqText, "version_uuid": optText},
}

func init() {
	noteParams["call_out"] = noteParams["call_in"]
	noteParams["sms_out"] = noteParams["sms_in"]
}

// noteWritable reports whether an integration may write notes of type t.
func noteWritable(t string) bool {
	_, ok := noteParams[t]
	return ok
}

// checkNoteParams checks the params object of a note of type t.
func checkNoteParams(pf *fields, t string) {
	specs := noteParams[t]
	for key, sp := range specs {
		if sp.required {
			pf.require(key)
		}
		raw, ok := pf.get(key)
		if !ok {
			continue
		}
		path := join(pf.path, key)
		kind := jsonKind(raw)
		switch sp.kind {
		case pText:
			if kind != 's' {
				pf.c.typeErr(path, "string")
			}
		case pInt, pCallStatus:
			n, err := strconv.ParseInt(string(raw), 10, 64)
			switch {
			case kind != 'd' || err != nil:
				pf.c.typeErr(path, "int")
			case sp.kind == pInt && n < 0, sp.kind == pCallStatus && (n < 1 || n > 8):
				pf.c.add(codeNotSupported, path, detailChoice)
			}
		case pIntOrText:
			if kind != 'd' && kind != 's' {
				pf.c.typeErr(path, "int or string")
			}
		case pCashier:
			s, _ := scalarText(raw)
			if kind != 's' || (s != "created" && s != "shown" && s != "canceled") {
				pf.c.add(codeNotSupported, path, detailChoice)
			}
		}
	}
	pf.done()
}
