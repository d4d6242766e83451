package glass

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// This file holds the strict JSON reader behind DecodeOrder and
// LoadPriceList. Unlike encoding/json it does not stop at the first problem:
// it walks the whole document and reports every unknown or repeated field,
// every value of the wrong type and every missing required field, each with
// the JSON path it concerns. Only malformed JSON stops it, since nothing
// after a syntax error can be trusted.
//
// It understands the few shapes this package needs: structs (fields named by
// their json tag, matched case-sensitively; a `glass:"required"` tag makes a
// field mandatory), slices, maps with integer keys, pointers (to tell a
// missing value from a zero one), strings, booleans, integers, and types
// implementing json.Unmarshaler, which receive a JSON number. JSON null is
// never accepted: a field is either absent or has a value of its type.

// errSyntax stops the walk after a syntax error has been recorded.
var errSyntax = errors.New("glass: malformed JSON")

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

type strictDecoder struct {
	dec   *json.Decoder
	errs  []FieldError
	limit int // how many problems errs keeps; 0 keeps all
	more  int // problems found beyond limit
}

// maxArrayItems is how many elements of one array a limited decoder (an order's)
// reads; the rest are skipped with one problem. No array of an order may be this
// long, and skipping keeps a small body of many elements from costing much memory.
const maxArrayItems = 1000

// full reports whether the decoder keeps no more problems, so that a caller can
// skip building one.
func (d *strictDecoder) full() bool { return d.limit > 0 && len(d.errs) >= d.limit }

// add records a problem, or only counts it once limit problems are kept, so that
// a small body of many bad values cannot make a huge list.
func (d *strictDecoder) add(fe FieldError) {
	if d.limit > 0 && len(d.errs) >= d.limit {
		d.more++
		return
	}
	d.errs = append(d.errs, fe)
}

// decodeStrict decodes data into the value v points to and returns every
// problem found, or nil.
func decodeStrict(data []byte, v any) []FieldError {
	errs, _ := decodeStrictLimit(data, v, 0)
	return errs
}

// decodeStrictLimit is decodeStrict keeping the first limit problems (all for
// 0) and counting the others in more.
func decodeStrictLimit(data []byte, v any, limit int) (errs []FieldError, more int) {
	d := &strictDecoder{dec: json.NewDecoder(bytes.NewReader(data)), limit: limit}
	d.dec.UseNumber()
	if err := d.value("", reflect.ValueOf(v).Elem()); err != nil {
		return d.errs, d.more
	}
	if _, err := d.dec.Token(); err != io.EOF {
		d.add(fieldError("", CodeTrailingData,
			"после JSON-документа есть лишние данные",
			"there is data after the JSON document"))
	}
	return d.errs, d.more
}

// token reads the next token and records a syntax error if there is one.
func (d *strictDecoder) token(path string) (json.Token, error) {
	tok, err := d.dec.Token()
	if err == nil {
		return tok, nil
	}
	offset := d.dec.InputOffset()
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		offset = se.Offset
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		d.add(fieldError(path, CodeInvalidJSON,
			"JSON-документ оборван",
			"the JSON document ends too early"))
	} else {
		d.add(fieldError(path, CodeInvalidJSON,
			"некорректный JSON около байта "+strconv.FormatInt(offset, 10),
			"malformed JSON near byte "+strconv.FormatInt(offset, 10)))
	}
	return nil, errSyntax
}

func (d *strictDecoder) value(path string, v reflect.Value) error {
	tok, err := d.token(path)
	if err != nil {
		return err
	}
	return d.decode(path, tok, v)
}

// decode stores the value that starts with tok into v.
func (d *strictDecoder) decode(path string, tok json.Token, v reflect.Value) error {
	if tok == nil {
		d.mismatch(path, tok, v.Type())
		return nil
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(path, tok, v.Elem())
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		num, ok := tok.(json.Number)
		if !ok {
			return d.mismatch(path, tok, v.Type())
		}
		if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON([]byte(num)); err != nil {
			ru, en := "недопустимое число "+string(num), "invalid number "+string(num)
			if ne, ok := errors.AsType[*numberError](err); ok {
				ru, en = ne.ru, ne.en
			}
			d.add(fieldError(path, CodeInvalidValue, ru, en))
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		b, ok := tok.(bool)
		if !ok {
			return d.mismatch(path, tok, v.Type())
		}
		v.SetBool(b)
	case reflect.String:
		s, ok := tok.(string)
		if !ok {
			return d.mismatch(path, tok, v.Type())
		}
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		num, ok := tok.(json.Number)
		if !ok {
			return d.mismatch(path, tok, v.Type())
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		switch {
		case err != nil && isIntegerLiteral(string(num)), err == nil && v.OverflowInt(n):
			d.add(fieldError(path, CodeOutOfRange,
				"число "+string(num)+" слишком велико",
				"the number "+string(num)+" is too large"))
		case err != nil:
			d.add(fieldError(path, CodeInvalidType,
				"ожидается целое число, получено "+string(num),
				"expected a whole number, got "+string(num)))
		default:
			v.SetInt(n)
		}
	case reflect.Slice:
		if tok != json.Delim('[') {
			return d.mismatch(path, tok, v.Type())
		}
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		for i := 0; d.dec.More(); i++ {
			if d.limit > 0 && i >= maxArrayItems {
				if i == maxArrayItems {
					d.add(fieldError(path, CodeTooMany,
						"в списке больше "+strconv.Itoa(maxArrayItems)+" элементов",
						"the list has more than "+strconv.Itoa(maxArrayItems)+" items"))
				}
				if err := d.skipValue(path); err != nil {
					return err
				}
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(path+"["+strconv.Itoa(i)+"]", elem); err != nil {
				return err
			}
			v.Set(reflect.Append(v, elem))
		}
		_, err := d.token(path)
		return err
	case reflect.Map:
		if tok != json.Delim('{') {
			return d.mismatch(path, tok, v.Type())
		}
		return d.intMap(path, v)
	case reflect.Struct:
		if tok != json.Delim('{') {
			return d.mismatch(path, tok, v.Type())
		}
		return d.object(path, v)
	default:
		panic("glass: strict decoder cannot decode " + v.Type().String())
	}
	return nil
}

func isIntegerLiteral(s string) bool {
	return allDigits(strings.TrimPrefix(s, "-"))
}

// object decodes the members of a JSON object into the struct v; the
// opening brace has been read.
func (d *strictDecoder) object(path string, v reflect.Value) error {
	t := v.Type()
	seen := make([]bool, t.NumField())
	for d.dec.More() {
		tok, err := d.token(path)
		if err != nil {
			return err
		}
		key := tok.(string) // the decoder guarantees object keys are strings
		fpath := memberPath(path, key)
		i := fieldIndex(t, key)
		switch {
		case i < 0:
			d.add(fieldError(fpath, CodeUnknownField,
				"неизвестное поле "+strconv.Quote(key),
				"unknown field "+strconv.Quote(key)))
			err = d.skipValue(fpath)
		case seen[i]:
			d.add(fieldError(fpath, CodeDuplicateField,
				"поле "+strconv.Quote(key)+" указано дважды",
				"field "+strconv.Quote(key)+" is given twice"))
			err = d.skipValue(fpath)
		default:
			seen[i] = true
			err = d.value(fpath, v.Field(i))
		}
		if err != nil {
			return err
		}
	}
	if _, err := d.token(path); err != nil {
		return err
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !seen[i] && f.Tag.Get("glass") == "required" {
			if d.full() {
				d.more++
				continue
			}
			name := jsonName(f)
			d.add(fieldError(memberPath(path, name), CodeMissing,
				"обязательное поле "+strconv.Quote(name)+" не указано",
				"required field "+strconv.Quote(name)+" is missing"))
		}
	}
	return nil
}

// intMap decodes a JSON object whose keys are integers into the map v; the
// opening brace has been read.
func (d *strictDecoder) intMap(path string, v reflect.Value) error {
	t := v.Type()
	v.Set(reflect.MakeMap(t))
	for d.dec.More() {
		tok, err := d.token(path)
		if err != nil {
			return err
		}
		key := tok.(string)
		kpath := path + "[" + strconv.Quote(key) + "]"
		n, perr := strconv.ParseInt(key, 10, 64)
		kv := reflect.New(t.Key()).Elem()
		switch {
		case perr != nil || !isIntegerLiteral(key) || kv.OverflowInt(n):
			d.add(fieldError(kpath, CodeInvalidType,
				"ключ "+strconv.Quote(key)+" должен быть целым числом",
				"key "+strconv.Quote(key)+" must be a whole number"))
			err = d.skipValue(kpath)
		default:
			kv.SetInt(n)
			if v.MapIndex(kv).IsValid() {
				d.add(fieldError(kpath, CodeDuplicateField,
					"ключ "+strconv.Quote(key)+" указан дважды",
					"key "+strconv.Quote(key)+" is given twice"))
				err = d.skipValue(kpath)
				break
			}
			elem := reflect.New(t.Elem()).Elem()
			err = d.value(kpath, elem)
			v.SetMapIndex(kv, elem)
		}
		if err != nil {
			return err
		}
	}
	_, err := d.token(path)
	return err
}

// skipValue reads and discards one whole value.
func (d *strictDecoder) skipValue(path string) error {
	tok, err := d.token(path)
	if err != nil {
		return err
	}
	return d.skipRest(path, tok)
}

// skipRest discards the rest of a value that started with tok.
func (d *strictDecoder) skipRest(path string, tok json.Token) error {
	if tok != json.Delim('[') && tok != json.Delim('{') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := d.token(path)
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

// mismatch records that the value starting with tok does not have the
// type t and skips it.
func (d *strictDecoder) mismatch(path string, tok json.Token, t reflect.Type) error {
	wantRU, wantEN := describeType(t)
	gotRU, gotEN := describeToken(tok)
	d.add(fieldError(path, CodeInvalidType,
		"ожидается "+wantRU+", получено: "+gotRU,
		"expected "+wantEN+", got "+gotEN))
	return d.skipRest(path, tok)
}

func describeType(t reflect.Type) (ru, en string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return "число", "a number"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true или false", "true or false"
	case reflect.String:
		return "строка", "a string"
	case reflect.Slice:
		return "массив", "an array"
	case reflect.Struct, reflect.Map:
		return "объект", "an object"
	default:
		return "целое число", "a whole number"
	}
}

func describeToken(tok json.Token) (ru, en string) {
	switch tok := tok.(type) {
	case nil:
		return "null", "null"
	case bool:
		return "логическое значение", "a boolean"
	case string:
		return "строка", "a string"
	case json.Number:
		return "число " + string(tok), "the number " + string(tok)
	case json.Delim:
		if tok == '[' {
			return "массив", "an array"
		}
	}
	return "объект", "an object"
}

func fieldIndex(t reflect.Type, key string) int {
	for i := range t.NumField() {
		if jsonName(t.Field(i)) == key {
			return i
		}
	}
	return -1
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// memberPath appends an object member to a JSON path: "pieces[0]" and
// "width_mm" give "pieces[0].width_mm". Keys that are not plain names are
// quoted in brackets.
func memberPath(path, key string) string {
	if !isPlainName(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isPlainName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
