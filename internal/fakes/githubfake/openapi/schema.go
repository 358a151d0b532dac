package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// schema is a compiled JSON Schema (the OpenAPI 3.0 dialect GitHub uses).
// Only keywords that constrain values are kept; keywords the validator does
// not know are ignored, which can only make it more lenient than GitHub.
type schema struct {
	types    []string // empty: any type
	nullable bool
	enum     []any

	properties   map[string]*schema
	required     []string
	additional   *schema // nil: anything
	noAdditional bool    // additionalProperties: false

	items              *schema
	minItems, maxItems *int

	minLength, maxLength *int

	minimum, maximum     *float64
	exclMinimum, exclMax bool

	allOf, anyOf, oneOf []*schema
}

// rawSchema mirrors the JSON form of the keywords schema keeps.
type rawSchema struct {
	Ref                  string                     `json:"$ref"`
	Type                 json.RawMessage            `json:"type"`
	Nullable             bool                       `json:"nullable"`
	Enum                 []json.RawMessage          `json:"enum"`
	Properties           map[string]json.RawMessage `json:"properties"`
	Required             []string                   `json:"required"`
	AdditionalProperties json.RawMessage            `json:"additionalProperties"`
	Items                json.RawMessage            `json:"items"`
	MinItems             *int                       `json:"minItems"`
	MaxItems             *int                       `json:"maxItems"`
	MinLength            *int                       `json:"minLength"`
	MaxLength            *int                       `json:"maxLength"`
	Minimum              *float64                   `json:"minimum"`
	Maximum              *float64                   `json:"maximum"`
	ExclusiveMinimum     json.RawMessage            `json:"exclusiveMinimum"`
	ExclusiveMaximum     json.RawMessage            `json:"exclusiveMaximum"`
	AllOf                []json.RawMessage          `json:"allOf"`
	AnyOf                []json.RawMessage          `json:"anyOf"`
	OneOf                []json.RawMessage          `json:"oneOf"`
}

// compiler turns raw schemas into *schema, resolving $ref against
// components.schemas. Each component is compiled once, which also lets
// recursive schemas refer to themselves.
type compiler struct {
	components map[string]json.RawMessage
	done       map[string]*schema
	aliasing   map[string]bool // refs being followed through a chain of aliases
}

func newCompiler(components map[string]json.RawMessage) *compiler {
	return &compiler{components: components, done: map[string]*schema{}, aliasing: map[string]bool{}}
}

func (c *compiler) compile(raw json.RawMessage) (*schema, error) {
	var r rawSchema
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	// In OpenAPI 3.0 a $ref replaces its object: siblings are ignored.
	if r.Ref != "" {
		return c.resolve(r.Ref)
	}
	s := &schema{}
	return s, c.fill(s, &r)
}

func (c *compiler) resolve(ref string) (*schema, error) {
	if s, ok := c.done[ref]; ok {
		return s, nil
	}
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	raw := c.components[strings.NewReplacer("~1", "/", "~0", "~").Replace(name)]
	if !ok || raw == nil {
		return nil, fmt.Errorf("cannot resolve $ref %q", ref)
	}
	var r rawSchema
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if r.Ref != "" {
		// An alias has nothing to fill in, so c.done cannot break a cycle
		// of aliases; aliasing does.
		if c.aliasing[ref] {
			return nil, fmt.Errorf("%s: cycle of $ref aliases", ref)
		}
		c.aliasing[ref] = true
		s, err := c.resolve(r.Ref)
		delete(c.aliasing, ref)
		if err != nil {
			return nil, err
		}
		c.done[ref] = s
		return s, nil
	}
	s := &schema{}
	c.done[ref] = s
	if err := c.fill(s, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return s, nil
}

func (c *compiler) fill(s *schema, r *rawSchema) error {
	var err error
	if s.types, err = parseType(r.Type); err != nil {
		return err
	}
	s.nullable = r.Nullable
	for _, e := range r.Enum {
		v, err := decodeValue(e)
		if err != nil {
			return fmt.Errorf("enum: %w", err)
		}
		s.enum = append(s.enum, v)
	}
	if len(r.Properties) > 0 {
		s.properties = make(map[string]*schema, len(r.Properties))
		for name, raw := range r.Properties {
			if s.properties[name], err = c.compile(raw); err != nil {
				return fmt.Errorf("properties.%s: %w", name, err)
			}
		}
	}
	s.required = r.Required
	switch ap := bytes.TrimSpace(r.AdditionalProperties); {
	case len(ap) == 0, string(ap) == "true":
	case string(ap) == "false":
		s.noAdditional = true
	default:
		if s.additional, err = c.compile(ap); err != nil {
			return fmt.Errorf("additionalProperties: %w", err)
		}
	}
	if len(r.Items) > 0 {
		if s.items, err = c.compile(r.Items); err != nil {
			return fmt.Errorf("items: %w", err)
		}
	}
	s.minItems, s.maxItems = r.MinItems, r.MaxItems
	s.minLength, s.maxLength = r.MinLength, r.MaxLength
	s.minimum, s.exclMinimum = exclusiveBound(r.Minimum, r.ExclusiveMinimum)
	s.maximum, s.exclMax = exclusiveBound(r.Maximum, r.ExclusiveMaximum)
	for _, group := range []struct {
		name string
		raw  []json.RawMessage
		dst  *[]*schema
	}{{"allOf", r.AllOf, &s.allOf}, {"anyOf", r.AnyOf, &s.anyOf}, {"oneOf", r.OneOf, &s.oneOf}} {
		for i, raw := range group.raw {
			sub, err := c.compile(raw)
			if err != nil {
				return fmt.Errorf("%s[%d]: %w", group.name, i, err)
			}
			*group.dst = append(*group.dst, sub)
		}
	}
	return nil
}

// parseType accepts "type": "string" and the array form "type": ["string", "null"].
func parseType(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("type: want a string or an array of strings, got %s", raw)
	}
	return many, nil
}

// exclusiveBound reads OpenAPI 3.0's boolean exclusiveMinimum/Maximum, which
// qualifies the bound beside it, and JSON Schema's later numeric form, which
// is a bound of its own.
func exclusiveBound(bound *float64, excl json.RawMessage) (*float64, bool) {
	switch excl := bytes.TrimSpace(excl); string(excl) {
	case "", "false":
		return bound, false
	case "true":
		return bound, bound != nil
	default:
		var v float64
		if err := json.Unmarshal(excl, &v); err != nil {
			return bound, false
		}
		return &v, true
	}
}
